"""Scheduling pages: the doctors' directory, booking, the appointment list and page, and each
doctor's working hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar

from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clinicflow.accounts.models import Membership
from clinicflow.core import policy
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError, NeedsConfirmation
from clinicflow.core.feedback import (
    ask_to_confirm,
    report_form_errors,
    run_and_report,
    submit_and_report,
)
from clinicflow.core.lists import Column, ExportView, FilteredListView
from clinicflow.core.models import AuditAction, Clinic
from clinicflow.core.roles import Role
from clinicflow.patients.file_responses import uploaded_file_response
from clinicflow.patients.models import DocumentStatus, Patient
from clinicflow.patients.picking import choose_patient
from clinicflow.patients.selectors import active_allergies
from clinicflow.patients.uploads import read_upload
from clinicflow.scheduling import calendars, notices, reviews, services, slots, states
from clinicflow.scheduling.forms import (
    AppointmentFilter,
    AttachDocumentsForm,
    BookingForm,
    PhotoForm,
    PractitionerForm,
    PresetForm,
    RescheduleForm,
    RuleForm,
    StatusForm,
    TimeOffForm,
)
from clinicflow.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AvailabilityRule,
    Practitioner,
    Specialization,
    Weekday,
)

WEEK = 7


def _doctors(clinic: Clinic) -> QuerySet[Practitioner]:
    return (
        Practitioner.objects.for_clinic(clinic)
        .filter(is_active=True)
        .select_related("user", "specialization", "clinic")
        .order_by("specialization__name", "user__first_name")
    )


@requires("scheduling.directory")
def directory(request: HttpRequest) -> HttpResponse:
    """The clinic's doctors by specialization: public (the current clinic, or the only one)."""
    clinic = actor_of(request).clinic or Clinic.objects.filter(is_active=True).first()
    doctors = list(_doctors(clinic)) if clinic else []
    rated = reviews.ratings(clinic, [d.pk for d in doctors]) if clinic else {}
    for doctor in doctors:
        doctor.rating = rated.get(doctor.pk)  # type: ignore[attr-defined]
    return render(request, "scheduling/directory.html", {"clinic": clinic, "doctors": doctors})


def _day(request: HttpRequest, name: str = "day") -> date:
    """The day asked for, or today (also for a well-formed but impossible date: 2025-13-45)."""
    try:
        return parse_date(request.GET.get(name) or "") or timezone.localdate()
    except ValueError:
        return timezone.localdate()


#: Patients offered at once while the name is typed: the receptionist types on to narrow.
PICK_LIMIT = 10


def _choose_patient(request: HttpRequest) -> HttpResponse:
    """Booking's first step when it does not start from a chart: find the patient as you type
    (name, phone, e-mail or MRN); each one found opens their booking page. The rows name
    patients, so the request's read of them is audited (one event, naming those shown)."""
    return choose_patient(
        request, template="scheduling/book_patient.html", part="booking search", limit=PICK_LIMIT
    )


@requires("appointments.book")
def book(request: HttpRequest) -> HttpResponse:
    """Choose the patient (unless the booking starts from their chart), the doctor and the
    day, see the free slots, book one (or the next free one of a specialization)."""
    actor = actor_of(request)
    assert actor.clinic is not None
    chosen_patient = request.GET.get("patient") or request.POST.get("patient")
    if not chosen_patient:
        return _choose_patient(request)
    patient = access_object(actor, "patients.chart", Patient.objects.all(), pk=chosen_patient)
    doctors = list(_doctors(actor.clinic))
    chosen = next((d for d in doctors if str(d.pk) == request.GET.get("practitioner", "")), None)
    first = max(_day(request), timezone.localdate())
    form = BookingForm(request.POST or None, request.FILES or None, patient=patient)
    if request.method == "POST" and not form.is_valid():
        report_form_errors(request, form)
    elif request.method == "POST":
        doctor = next((d for d in doctors if d.pk == form.cleaned_data["practitioner"]), None)
        try:
            if doctor is None:
                raise DomainError(_("Choose a doctor."), field="practitioner")
            appointment = services.book_appointment(
                actor=actor,
                patient=patient,
                practitioner=doctor,
                starts_at=form.cleaned_data["starts_at"],
                kind=form.cleaned_data["kind"],
                reason=form.cleaned_data["reason"],
                documents=form.cleaned_data["documents"],
                uploads=form.uploads(),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            chosen = doctor or chosen
        else:
            messages.success(
                request,
                _("Booked: %(when)s with %(doctor)s.")
                % {
                    "when": timezone.localtime(appointment.starts_at).strftime("%a %d %b %H:%M"),
                    "doctor": doctor,
                },
            )
            return redirect("scheduling:appointment", pk=appointment.pk)
    next_free = None
    if request.GET.get("specialization"):
        same = [d for d in doctors if str(d.specialization_id) == request.GET["specialization"]]
        next_free = slots.next_free_slot(same, from_day=first)
        if next_free is not None:
            chosen = next(d for d in same if d.pk == next_free.practitioner_id)
            first = timezone.localtime(next_free.starts_at).date()
    week = slots.free_slots(chosen, first, first + timedelta(days=WEEK - 1)) if chosen else []
    days: dict[date, list[slots.Slot]] = {}
    for slot in week:
        days.setdefault(timezone.localtime(slot.starts_at).date(), []).append(slot)
    return render(
        request,
        "scheduling/book.html",
        {
            "patient": patient,
            "allergies": active_allergies(patient),
            "today": timezone.localdate(),
            "doctors": doctors,
            "specializations": Specialization.objects.for_clinic(actor.clinic),
            "chosen": chosen,
            "first": first,
            "previous_week": max(first - timedelta(days=WEEK), timezone.localdate()),
            "next_week": first + timedelta(days=WEEK),
            "days": days,
            "next_free": next_free,
            "form": form,
            "may_attach": policy.allows_object(actor, "patients.documents.upload", patient),
        },
    )


class AppointmentListView(FilteredListView):
    """Appointments with filters; a doctor sees only their own (the policy's object rule)."""

    policy_action = "scheduling.view"
    model = Appointment
    filterset_class = AppointmentFilter
    template_name = "scheduling/appointment_list.html"
    page_key = "starts_at"
    page_descending = False
    select_related = ("patient", "practitioner__user")

    def filtered(self) -> tuple[QuerySet[Any], Any]:
        qs, filterset = super().filtered()
        if self.request.GET.get("day") or self.request.GET.get("after"):
            return qs, filterset
        if self.request.GET.get("status") == AppointmentStatus.REQUESTED:
            # Requests to confirm (online bookings): every one still ahead, not only today's.
            qs = qs.filter(starts_at__date__gte=timezone.localdate())
        else:
            qs = qs.filter(starts_at__date=timezone.localdate())  # today, unless asked
        return qs, filterset


def _appointment(request: HttpRequest, action: str, pk: Any) -> Appointment:
    return access_object(
        actor_of(request),
        action,
        Appointment.objects.select_related("patient", "practitioner__user", "practitioner__clinic"),
        pk=pk,
    )


@requires("scheduling.view")
def appointment(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    item = _appointment(request, "scheduling.view", pk)
    may_manage = policy.allows_object(actor, "appointments.manage", item)
    day = _day(request)
    moves = (
        slots.free_slots(item.practitioner, day, day)
        if may_manage and item.status in states.MOVABLE
        else []
    )
    may_attach = may_manage and policy.allows_object(
        actor, "patients.documents.upload", item.patient
    )
    return render(
        request,
        "scheduling/appointment.html",
        {
            "item": item,
            "patient": item.patient,
            "allergies": active_allergies(item.patient),
            "today": timezone.localdate(),
            "history": item.changes.select_related("changed_by"),
            "may_manage": may_manage,
            "next_states": [
                (s, states.VERBS[s])
                for s in services.offered_moves(item)
                if policy.allows_object(actor, states.action_for(s), item)
            ],
            "move_day": day,
            "moves": moves,
            "documents": item.document_links.filter(
                document__status=DocumentStatus.CURRENT
            ).select_related("document", "attached_by"),
            "may_view_documents": policy.allows_object(
                actor, "patients.documents.view", item.patient
            ),
            "attach_form": AttachDocumentsForm(patient=item.patient, attached_to=item)
            if may_attach
            else None,
        },
    )


@requires("appointments.manage")
@require_POST
def appointment_documents(request: HttpRequest, pk: Any) -> HttpResponse:
    """Attach documents of the patient (existing ones, or a new file) to the appointment."""
    item = _appointment(request, "appointments.manage", pk)
    form = AttachDocumentsForm(request.POST, request.FILES, patient=item.patient)
    submit_and_report(
        request,
        form,
        lambda data: services.attach_documents(
            actor=actor_of(request),
            appointment=item,
            documents=data["documents"],
            uploads=form.uploads(),
        ),
        _("The documents were attached."),
    )
    return redirect("scheduling:appointment", pk=item.pk)


def _next_or(request: HttpRequest, default: str) -> str:
    """Where to go back after a form: the page's own ``next`` when it is ours."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back  # e.g. the doctor's day, where the quick actions are
    return default


@requires("appointments.manage")
@require_POST
def appointment_status(request: HttpRequest, pk: Any) -> HttpResponse:
    """Move the appointment on; says what came of it (checked in: the token and where to
    wait), and asks first when the move needs confirming (checking in on another day)."""
    item = _appointment(request, "appointments.manage", pk)
    back = _next_or(request, reverse("scheduling:appointment", args=[item.pk]))
    form = StatusForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect(back)
    try:
        moved = services.change_status(
            actor=actor_of(request), appointment=item, **form.cleaned_data
        )
    except NeedsConfirmation as exc:
        return ask_to_confirm(request, exc.message, back=back)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, notices.after_move(moved))
    return redirect(back)


@requires("appointments.manage")
@require_POST
def appointment_move(request: HttpRequest, pk: Any) -> HttpResponse:
    item = _appointment(request, "appointments.manage", pk)
    submit_and_report(
        request,
        RescheduleForm(request.POST),
        lambda data: services.reschedule(actor=actor_of(request), appointment=item, **data),
        _("The appointment was moved."),
    )
    return redirect("scheduling:appointment", pk=item.pk)


def _practitioner(request: HttpRequest, action: str, pk: Any) -> Practitioner:
    return access_object(
        actor_of(request), action, Practitioner.objects.select_related("user", "clinic"), pk=pk
    )


def _report_conflicts(request: HttpRequest, conflicts: list[Appointment]) -> None:
    if conflicts:
        messages.warning(
            request,
            _(
                "%(count)d booked appointment(s) now fall outside the hours; "
                "reschedule them: %(list)s"
            )
            % {
                "count": len(conflicts),
                "list": "; ".join(
                    f"{timezone.localtime(a.starts_at):%d %b %H:%M} {a.patient.full_name}"
                    for a in conflicts[:10]
                ),
            },
        )


@requires("scheduling.availability")
def availability(request: HttpRequest, pk: Any) -> HttpResponse:
    """A doctor's weekly hours (a grid of the week), presets, extra hours and leave."""
    actor = actor_of(request)
    doctor = _practitioner(request, "scheduling.availability", pk)
    rule_form = RuleForm(
        request.POST if request.POST.get("form") == "rule" else None, prefix="rule"
    )
    preset_form = PresetForm(
        request.POST if request.POST.get("form") == "preset" else None, prefix="preset"
    )
    off_form = TimeOffForm(
        request.POST if request.POST.get("form") == "off" else None, prefix="off"
    )
    try:
        if rule_form.is_bound and rule_form.is_valid():
            services.add_rule(actor=actor, practitioner=doctor, **rule_form.cleaned_data)
            messages.success(request, _("The hours were added."))
            return redirect("scheduling:availability", pk=doctor.pk)
        if preset_form.is_bound and preset_form.is_valid():
            conflicts = services.apply_preset(
                actor=actor, practitioner=doctor, **preset_form.cleaned_data
            )
            messages.success(request, _("The preset was applied."))
            _report_conflicts(request, conflicts)
            return redirect("scheduling:availability", pk=doctor.pk)
        if off_form.is_bound and off_form.is_valid():
            _off, covered = services.add_time_off(
                actor=actor, practitioner=doctor, **off_form.cleaned_data
            )
            messages.success(request, _("The leave was recorded."))
            _report_conflicts(request, covered)
            return redirect("scheduling:availability", pk=doctor.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    rules = list(AvailabilityRule.objects.for_clinic(doctor.clinic).filter(practitioner=doctor))
    week = [(day, [r for r in rules if r.weekday == day.value]) for day in Weekday]
    return render(
        request,
        "scheduling/availability.html",
        {
            "doctor": doctor,
            "week": week,
            "rule_form": rule_form,
            "preset_form": preset_form,
            "off_form": off_form,
            "time_off": doctor.time_off.filter(ends_at__gte=timezone.now()).order_by("starts_at")[
                :20
            ],
        },
    )


@requires("scheduling.availability")
@require_POST
def rule_remove(request: HttpRequest, pk: Any) -> HttpResponse:
    rule = access_object(
        actor_of(request),
        "scheduling.availability",
        AvailabilityRule.objects.select_related("practitioner"),
        pk=pk,
    )
    try:
        conflicts = services.remove_rule(actor=actor_of(request), rule=rule)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The hours were removed."))
        _report_conflicts(request, conflicts)
    return redirect("scheduling:availability", pk=rule.practitioner_id)


@requires("scheduling.manage")
def practitioners(request: HttpRequest) -> HttpResponse:
    """Doctor profiles of the clinic; a manager adds one for a doctor without a profile."""
    actor = actor_of(request)
    assert actor.clinic is not None
    profiles = list(
        Practitioner.objects.for_clinic(actor.clinic).select_related("user", "specialization")
    )
    with_profile = {p.user_id for p in profiles}
    candidates = [
        m.user
        for m in Membership.objects.filter(
            clinic=actor.clinic, role=Role.DOCTOR, is_active=True
        ).select_related("user")
        if m.user_id not in with_profile
    ]
    form = PractitionerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = next((u for u in candidates if str(u.pk) == request.POST.get("user")), None)
        try:
            if user is None:
                raise DomainError(
                    _("Choose a doctor of this clinic without a profile."), field="user"
                )
            data = dict(form.cleaned_data)
            services.create_practitioner(
                actor=actor, user=user, specialization=data.pop("specialization_name"), details=data
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The profile was created; now set the working hours."))
            return redirect("scheduling:practitioners")
    return render(
        request,
        "scheduling/practitioners.html",
        {"profiles": profiles, "candidates": candidates, "form": form},
    )


class AppointmentExportView(ExportView):
    policy_action = "scheduling.view"
    model = Appointment
    filterset_class = AppointmentFilter
    page_key = "starts_at"
    page_descending = False
    select_related = ("patient", "practitioner__user", "practitioner__specialization")
    filename = "appointments"
    columns: ClassVar[list[Column]] = [
        Column(gettext_lazy("Starts"), lambda a: timezone.localtime(a.starts_at)),
        Column(gettext_lazy("Ends"), lambda a: timezone.localtime(a.ends_at)),
        Column(gettext_lazy("Doctor"), lambda a: str(a.practitioner)),
        Column(gettext_lazy("Specialization"), lambda a: str(a.practitioner.specialization)),
        Column(gettext_lazy("MRN"), lambda a: a.patient.mrn),
        Column(gettext_lazy("Patient"), lambda a: a.patient.full_name),
        Column(gettext_lazy("Type"), lambda a: a.get_kind_display()),
        Column(gettext_lazy("Status"), lambda a: a.get_status_display()),
        Column(gettext_lazy("Reason"), lambda a: a.reason),
    ]


def _ics(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@requires("scheduling.view")
def appointment_ics(request: HttpRequest, pk: Any) -> HttpResponse:
    item = _appointment(request, "scheduling.view", pk)
    return _ics(
        calendars.calendar([item], name=str(item.practitioner)),
        f"appointment-{item.pk.hex[:8]}.ics",
    )


#: What a calendar feed holds: the last week and the next three months.
FEED_PAST = timedelta(days=7)
FEED_AHEAD = timedelta(days=92)


@requires("scheduling.feed")
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A doctor's appointments for calendar apps. The token is the key (no sign-in: calendar
    apps cannot); a wrong or revoked token is simply not found. Each fetch is audited."""
    if len(token) < 32:
        raise Http404
    # The feed belongs to whichever clinic the token is of: looked up across clinics on purpose.
    doctor = (
        Practitioner.objects.all_clinics()
        .select_related("user", "clinic")
        .filter(calendar_token=token)
        .first()
    )
    if doctor is None:
        raise Http404
    now = timezone.now()
    items = (
        Appointment.objects.for_clinic(doctor.clinic)
        .filter(practitioner=doctor, starts_at__gte=now - FEED_PAST, starts_at__lt=now + FEED_AHEAD)
        .select_related("patient", "clinic")
        .order_by("starts_at")
    )
    record(
        AuditAction.EXPORT,
        obj=doctor,
        object_repr=f"calendar feed of {doctor}",
        changes={"feed": True},
    )
    return _ics(
        calendars.calendar(items, name=f"{doctor} · {doctor.clinic.name}"), "appointments.ics"
    )


@requires("scheduling.availability")
@require_POST
def calendar_feed_renew(request: HttpRequest, pk: Any) -> HttpResponse:
    doctor = _practitioner(request, "scheduling.availability", pk)
    run_and_report(
        request,
        lambda: services.renew_calendar_feed(actor=actor_of(request), practitioner=doctor),
        _("A new calendar link was made; the old one no longer works."),
    )
    return redirect("scheduling:availability", pk=doctor.pk)


@requires("scheduling.view")
def calendar_page(request: HttpRequest) -> HttpResponse:
    """Day and week calendar of one doctor or the whole clinic; drag to move where allowed."""
    actor = actor_of(request)
    assert actor.clinic is not None
    return render(
        request,
        "scheduling/calendar.html",
        {
            "doctors": list(_doctors(actor.clinic)),
            "chosen": request.GET.get("practitioner", ""),
            "may_move": policy.allows(actor, "appointments.manage"),
        },
    )


@requires("scheduling.view")
def calendar_events(request: HttpRequest) -> JsonResponse:
    """The calendar's events between ``start`` and ``end`` (at most six weeks)."""
    actor = actor_of(request)
    try:
        start = parse_datetime(request.GET.get("start", ""))
        end = parse_datetime(request.GET.get("end", ""))
    except ValueError:  # well-formed but impossible (month 13)
        start = end = None
    if start is None or end is None or not timedelta(0) < end - start <= timedelta(days=42):
        return JsonResponse({"detail": _("Ask for up to six weeks.")}, status=400)
    visible = policy.restrict(actor, "scheduling.view", Appointment.objects.all()).filter(
        starts_at__lt=end, ends_at__gt=start
    )
    if request.GET.get("practitioner", "").isdigit():
        visible = visible.filter(practitioner_id=int(request.GET["practitioner"]))
    movable = set(
        policy.restrict(
            actor, "appointments.manage", visible.filter(status__in=states.MOVABLE)
        ).values_list("pk", flat=True)
    )
    rows = visible.select_related("patient", "practitioner__user").order_by("starts_at")[:2000]
    return JsonResponse(
        [
            {
                "id": str(a.pk),
                "title": f"{a.patient.full_name} · {a.practitioner}",
                "start": a.starts_at.isoformat(),
                "end": a.ends_at.isoformat(),
                "url": reverse("scheduling:appointment", args=[a.pk]),
                "editable": a.pk in movable,
                "classNames": [f"status-{a.status}"],
            }
            for a in rows
        ],
        safe=False,
    )


# ---------------------------------------------------------------- photos


@requires("scheduling.photo")
def practitioner_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A doctor's photo for the public directory (the thumbnail; ``?full=1`` the photo).
    Public like the directory, so looked up in whichever clinic the doctor works; an inactive
    doctor's photo, or a missing one, is not found."""
    doctor = (
        Practitioner.objects.all_clinics()  # public: the directory may show any clinic
        .filter(pk=pk, is_active=True)
        .exclude(photo="")
        .first()
    )
    if doctor is None:
        raise Http404
    full = request.GET.get("full") == "1" or not doctor.photo_thumbnail
    stored = doctor.photo if full else doctor.photo_thumbnail
    extension = (stored.name or "").rsplit(".", 1)[-1].lower()
    content_type = "image/png" if extension == "png" else "image/jpeg"
    response = uploaded_file_response(stored, content_type=content_type)
    response["Cache-Control"] = "public, max-age=300"
    return response


@requires("scheduling.manage")
@require_POST
def practitioner_photo_change(request: HttpRequest, pk: Any) -> HttpResponse:
    """Upload a new photo for the doctor's profile, or (``remove``) take it off."""
    doctor = _practitioner(request, "scheduling.manage", pk)
    actor = actor_of(request)
    if request.POST.get("remove"):
        run_and_report(
            request,
            lambda: services.remove_practitioner_photo(actor=actor, practitioner=doctor),
            _("The photo was removed."),
        )
    else:
        submit_and_report(
            request,
            PhotoForm(request.POST, request.FILES),
            lambda data: services.set_practitioner_photo(
                actor=actor, practitioner=doctor, content=read_upload(data["photo"])
            ),
            _("The photo was saved."),
        )
    return redirect("scheduling:practitioners")


# ---------------------------------------------------------------- a doctor's day

#: The moves a doctor's day offers at a click (cancelling needs a reason: the appointment page).
QUICK_MOVES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_CONSULTATION,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
)


@dataclass(frozen=True)
class DayEntry:
    """A row of a doctor's day: an appointment, or a stretch of free slots between them."""

    starts_at: datetime
    ends_at: datetime
    appointment: Appointment | None = None
    free_slots: int = 0
    moves: tuple[tuple[str, Any], ...] = ()


def _free_stretches(free: list[slots.Slot]) -> list[DayEntry]:
    """Free slots joined into stretches of back-to-back slots."""
    stretches: list[DayEntry] = []
    for slot in free:
        last = stretches[-1] if stretches else None
        if last is not None and last.ends_at == slot.starts_at:
            stretches[-1] = DayEntry(last.starts_at, slot.ends_at, free_slots=last.free_slots + 1)
        else:
            stretches.append(DayEntry(slot.starts_at, slot.ends_at, free_slots=1))
    return stretches


@requires("scheduling.view")
def doctor_day(request: HttpRequest) -> HttpResponse:
    """One doctor's appointments today (the clinic's day) in time order, with the free time
    between them and the next moves at a click. Who may see whose day is the policy's
    ``scheduling.view`` scope, as on the calendar and the list: doctors their own, the front
    desk any doctor's."""
    actor = actor_of(request)
    assert actor.clinic is not None
    zone = actor.clinic.zone
    doctors = list(
        policy.restrict(
            actor, "scheduling.view", Practitioner.objects.select_related("user", "specialization")
        ).order_by("user__first_name", "user__last_name")
    )
    wanted = request.GET.get("practitioner", "")
    if wanted:
        chosen = next((d for d in doctors if str(d.pk) == wanted), None)
        if chosen is None:
            raise Http404  # missing and "not yours" alike
    else:
        own = [d for d in doctors if d.user_id == actor.user.pk]
        chosen = own[0] if own else (doctors[0] if len(doctors) == 1 else None)
    day = timezone.localtime(timezone.now(), zone).date()
    entries: list[DayEntry] = []
    if chosen is not None:
        start = datetime.combine(day, time.min, tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
        todays = policy.restrict(actor, "scheduling.view", Appointment.objects.all()).filter(
            practitioner=chosen, starts_at__gte=start, starts_at__lt=end
        )
        manageable = set(
            policy.restrict(actor, "appointments.manage", todays).values_list("pk", flat=True)
        )
        # The moves the person's roles may make (starting a consultation: a clinician's); on
        # the rows they may manage, a doctor's own, no object rule narrows them further.
        allowed = [s for s in QUICK_MOVES if policy.allows(actor, states.action_for(s))]
        for item in todays.select_related("patient").order_by("starts_at"):
            offered = services.offered_moves(item) if item.pk in manageable else []
            moves = tuple((s, states.VERBS[s]) for s in allowed if s in offered)
            entries.append(DayEntry(item.starts_at, item.ends_at, appointment=item, moves=moves))
        entries += _free_stretches(slots.free_slots(chosen, day, day))
        entries.sort(key=lambda e: (e.starts_at, e.appointment is None))
    return render(
        request,
        "scheduling/doctor_day.html",
        {
            "doctors": doctors,
            "chosen": chosen,
            "day": day,
            "entries": entries,
            "here": request.get_full_path(),
        },
    )
