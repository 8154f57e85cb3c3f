"""Front-desk pages: the day's queue (reception, nurses and doctors each see their part), a
visit's page with its vitals, the token slip, the waiting-room board, wait times, export and
setup."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clinicflow.core import policy
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.errors import DomainError, NeedsConfirmation
from clinicflow.core.feedback import (
    ask_to_confirm,
    report_form_errors,
    run_and_report,
    submit_and_report,
)
from clinicflow.core.lists import Column, ExportView
from clinicflow.core.models import Clinic
from clinicflow.frontdesk import arrival_notes, services, states
from clinicflow.frontdesk.forms import (
    AssignForm,
    CheckInForm,
    DeskForm,
    MoveForm,
    PriorityForm,
    QueueFilter,
    VitalsForm,
    WalkInForm,
)
from clinicflow.frontdesk.models import (
    BoardLink,
    DoctorDesk,
    Observation,
    Priority,
    QueueEntry,
    QueueStatus,
)
from clinicflow.patients.models import Patient
from clinicflow.patients.selectors import active_allergies
from clinicflow.scheduling.models import (
    Appointment,
    AppointmentStatus,
    Practitioner,
)


def _entries(actor: Any, action: str = "frontdesk.queue") -> QuerySet[QueueEntry]:
    return policy.restrict(actor, action, QueueEntry.objects.all()).select_related(
        "patient", "practitioner__user"
    )


def _entry(request: HttpRequest, action: str, pk: Any) -> QueueEntry:
    return access_object(
        actor_of(request),
        action,
        QueueEntry.objects.select_related("patient", "practitioner__user", "appointment", "clinic"),
        pk=pk,
    )


def _back(request: HttpRequest, default: str = "frontdesk:queue", **kwargs: Any) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(default, **kwargs)


def _day_bounds(clinic: Clinic, day: Any) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=clinic.zone)
    return start, start + timedelta(days=1)


def _own_practitioner(actor: Any) -> Practitioner | None:
    return (
        Practitioner.objects.for_clinic(actor.clinic)
        .filter(user=actor.user, is_active=True)
        .select_related("user")
        .first()
    )


def _doctors(clinic: Clinic) -> list[Practitioner]:
    return list(
        Practitioner.objects.for_clinic(clinic)
        .filter(is_active=True)
        .select_related("user", "specialization")
        .order_by("user__first_name")
    )


def queue_context(request: HttpRequest) -> dict[str, Any]:
    """Everything the queue page shows, for the whole page and for its live part alike (the
    live reload once lacked the doctors, and the "Give to another doctor" list came back
    empty)."""
    actor = actor_of(request)
    clinic = actor.clinic
    assert clinic is not None
    day = services.today(clinic)
    rows = list(_entries(actor).filter(day=day))
    chosen = request.GET.get("doctor", "")
    if chosen:
        rows = [e for e in rows if str(e.practitioner_id) == chosen or e.practitioner_id is None]
    waiting = sorted(
        (e for e in rows if e.is_open), key=lambda e: (e.priority, e.queue_time, e.token)
    )
    finished = sorted(
        (e for e in rows if not e.is_open),
        key=lambda e: e.finished_at or e.arrived_at,
        reverse=True,
    )
    may_check_in = policy.allows(actor, "frontdesk.check_in")
    may_see = policy.allows(actor, "frontdesk.see_patients")
    own = _own_practitioner(actor)
    for e in waiting:
        e.may_call = (  # type: ignore[attr-defined]
            may_see
            and own is not None
            and e.status in states.CALLABLE
            and e.practitioner_id in (None, own.pk)
        )
    doctors = _doctors(clinic)
    start, end = _day_bounds(clinic, day)
    return {
        "day": day,
        "waiting": waiting,
        "finished": finished[:30],
        "may_check_in": may_check_in,
        "may_manage": policy.allows(actor, "frontdesk.manage"),
        "may_vitals": policy.allows(actor, "frontdesk.vitals"),
        "may_see": may_see,
        "own": own,
        "current": next(
            (
                e
                for e in waiting
                if own is not None
                and e.status == QueueStatus.WITH_DOCTOR
                and e.practitioner_id == own.pk
            ),
            None,
        ),
        "chosen": chosen,
        "priorities": Priority.choices,
        "doctors": doctors,
        "specializations": sorted({d.specialization for d in doctors}, key=lambda s: s.name),
        "walk_in_form": WalkInForm(),
        "arriving": list(
            Appointment.objects.for_clinic(clinic)
            .filter(status=AppointmentStatus.BOOKED, starts_at__gte=start, starts_at__lt=end)
            .select_related("patient", "practitioner__user")
            .order_by("starts_at")
        )
        if may_check_in
        else [],
    }


@requires("frontdesk.queue")
def queue(request: HttpRequest) -> HttpResponse:
    """Today's queue: who waits, in order, and what each may do next. The list reloads itself
    (its ``live`` part, built from the same context as the page) when the queue's WebSocket
    says something changed."""
    template = "frontdesk/queue.html"
    if getattr(request, "htmx", False):
        template += "#live"
    return render(request, template, queue_context(request))


@requires("frontdesk.check_in")
@require_POST
def check_in(request: HttpRequest) -> HttpResponse:
    """Check in an arriving appointment; the message gives the token and where to wait. Far
    from the booked time, a page asks first."""
    actor = actor_of(request)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return _back(request)
    appointment = access_object(
        actor, "appointments.manage", Appointment.objects.all(), pk=form.cleaned_data["appointment"]
    )
    try:
        entry = services.check_in(
            actor=actor,
            appointment=appointment,
            priority=form.cleaned_data["priority"],
            confirm=form.cleaned_data["confirm"],
        )
    except NeedsConfirmation as exc:
        return ask_to_confirm(request, exc.message, back=reverse("frontdesk:queue"))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, services.arrival_message(entry))
        _tell_notes(request, entry)
    return _back(request)


def _tell_notes(request: HttpRequest, entry: QueueEntry) -> None:
    """What other domains ask the desk to see at arrival (a balance still owed)."""
    for note in arrival_notes.notes_for(entry, actor_of(request)):
        messages.warning(request, note)


@requires("frontdesk.check_in")
@require_POST
def walk_in(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    assert actor.clinic is not None
    form = WalkInForm(request.POST)

    def add(data: dict[str, Any]) -> QueueEntry:
        entry = enqueue(data)
        _tell_notes(request, entry)
        return entry

    def enqueue(data: dict[str, Any]) -> QueueEntry:
        patient = None
        if data["mrn"].strip():
            patient = (
                policy.restrict(actor, "patients.chart", Patient.objects.all())
                .filter(mrn=data["mrn"].strip().upper())
                .first()
            )
            if patient is None:
                raise DomainError(_("No patient has that record number."), field="mrn")
        elif data["patient"]:
            patient = access_object(
                actor, "patients.chart", Patient.objects.all(), pk=data["patient"]
            )
        doctor = None
        if data["practitioner"]:
            doctor = access_object(
                actor, "scheduling.view", Practitioner.objects.all(), pk=data["practitioner"]
            )
        return services.add_walk_in(
            actor=actor,
            patient=patient,
            name=data["name"],
            phone=data["phone"],
            practitioner=doctor,
            priority=data["priority"],
            reason=data["reason"],
        )

    submit_and_report(request, form, add, _("The walk-in is in the queue."))
    return _back(request)


@requires("frontdesk.queue")
@require_POST
def move(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    form = MoveForm(request.POST)
    action = services.action_for(request.POST.get("to_status", ""))
    entry = _entry(request, action, pk)
    submit_and_report(
        request,
        form,
        lambda data: services.move(actor=actor, entry=entry, **data),
        _("Token %(token)s: done.") % {"token": entry.token_label},
    )
    return _back(request)


@requires("frontdesk.see_patients")
@require_POST
def call_next(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    doctor = access_object(
        actor,
        "frontdesk.see_patients",
        Practitioner.objects.select_related("clinic"),
        pk=request.POST.get("practitioner") or 0,
    )
    try:
        entry = services.call_next(actor=actor, practitioner=doctor)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if entry is None:
            messages.info(request, _("Nobody is waiting."))
        else:
            messages.success(
                request,
                _("Token %(token)s: %(patient)s.")
                % {"token": entry.token_label, "patient": entry.display_name},
            )
    return _back(request)


@requires("frontdesk.manage")
@require_POST
def set_priority(request: HttpRequest, pk: Any) -> HttpResponse:
    entry = _entry(request, "frontdesk.manage", pk)
    submit_and_report(
        request,
        PriorityForm(request.POST),
        lambda data: services.set_priority(actor=actor_of(request), entry=entry, **data),
        _("The priority was changed."),
    )
    return _back(request)


@requires("frontdesk.manage")
@require_POST
def assign(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    entry = _entry(request, "frontdesk.manage", pk)

    def give(data: dict[str, Any]) -> QueueEntry:
        doctor = None
        if data["practitioner"]:
            doctor = access_object(
                actor, "scheduling.view", Practitioner.objects.all(), pk=data["practitioner"]
            )
        return services.assign(
            actor=actor, entry=entry, practitioner=doctor, specialization_id=data["specialization"]
        )

    submit_and_report(
        request, AssignForm(request.POST), give, _("The patient was given to a doctor.")
    )
    return _back(request)


@requires("frontdesk.queue")
def entry(request: HttpRequest, pk: Any) -> HttpResponse:
    """One visit: who, token, where they are, its history and its vitals (recorded here). An
    unregistered walk-in is registered from here in one step, then the vitals follow."""
    actor = actor_of(request)
    item = _entry(request, "frontdesk.queue", pk)
    may_vitals = item.is_open and policy.allows_object(actor, "frontdesk.vitals", item)
    form = VitalsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not may_vitals:
            raise Http404
        try:
            services.record_vitals(actor=actor, entry=item, values=form.data)
        except DomainError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("The vitals were recorded."))
            return redirect("frontdesk:entry", pk=item.pk)
    return render(
        request,
        "frontdesk/entry.html",
        {
            "item": item,
            "patient": item.patient,
            "allergies": active_allergies(item.patient) if item.patient else [],
            "history": item.changes.select_related("changed_by"),
            "observations": Observation.objects.for_clinic(item.clinic).filter(entry=item),
            "form": form,
            "may_vitals": may_vitals,
            "may_register": item.patient is None
            and policy.allows_object(actor, "frontdesk.register_walk_in", item),
            "today": timezone.localdate(),
        },
    )


@requires("frontdesk.queue")
def slip(request: HttpRequest, pk: Any) -> HttpResponse:
    """The printable token slip: token, time, doctor and room; initials, never the full name."""
    item = _entry(request, "frontdesk.queue", pk)
    desk = (
        DoctorDesk.objects.for_clinic(item.clinic)
        .filter(practitioner_id=item.practitioner_id)
        .first()
    )
    return render(request, "frontdesk/slip.html", {"item": item, "desk": desk})


# ---------------------------------------------------------------- the waiting-room board


def initials(entry: QueueEntry) -> str:
    name = entry.display_name.split()
    return "".join(f"{part[0]}." for part in name[:3] if part).upper()


def board_state(clinic: Clinic) -> dict[str, Any]:
    """What the board shows: the tokens called in (newest first) and the next ones."""
    rows = list(
        QueueEntry.objects.for_clinic(clinic)
        .filter(
            day=services.today(clinic),
            status__in=[*states.CALLABLE, QueueStatus.VITALS, QueueStatus.WITH_DOCTOR],
        )
        .only("token", "token_prefix", "status", "room", "called_at", "priority", "queue_time")
    )
    called = sorted(
        (e for e in rows if e.status == QueueStatus.WITH_DOCTOR),
        key=lambda e: e.called_at or e.queue_time,
        reverse=True,
    )
    upcoming = sorted(
        (e for e in rows if e.status != QueueStatus.WITH_DOCTOR),
        key=lambda e: (e.priority, e.queue_time, e.token),
    )
    return {"called": called[:6], "upcoming": upcoming[:10]}


def _board_link(token: str) -> BoardLink:
    link = (
        BoardLink.objects.all_clinics()
        .filter(token=token, revoked_at__isnull=True, clinic__is_active=True)
        .select_related("clinic")
        .first()
    )
    if link is None:
        raise Http404
    return link


@requires("frontdesk.board")
def board(request: HttpRequest, token: str) -> HttpResponse:
    link = _board_link(token)
    context = {"link": link, "clinic": link.clinic, **board_state(link.clinic)}
    if getattr(request, "htmx", False):
        return render(request, "frontdesk/board.html#tokens", context)
    response = render(request, "frontdesk/board.html", context)
    response["Referrer-Policy"] = "no-referrer"  # the link is the secret
    return response


# ---------------------------------------------------------------- figures, export, setup


def _minutes(since: datetime | None, until: datetime | None) -> float | None:
    if since is None or until is None:
        return None
    return (until - since).total_seconds() / 60


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), 1) if known else None


def wait_figures(entries: list[QueueEntry]) -> list[dict[str, Any]]:
    """Median minutes from arrival to the nurse and to the doctor, per doctor and overall."""
    by_doctor: dict[Any, list[QueueEntry]] = {}
    for e in entries:
        by_doctor.setdefault(e.practitioner, []).append(e)
    rows = [
        {
            "doctor": doctor,
            "visits": len(group),
            "to_vitals": _median([_minutes(e.arrived_at, e.vitals_at) for e in group]),
            "to_doctor": _median([_minutes(e.arrived_at, e.called_at) for e in group]),
        }
        for doctor, group in by_doctor.items()
    ]
    rows.sort(key=lambda r: str(r["doctor"] or ""))
    rows.append(
        {
            "doctor": None,
            "all": True,
            "visits": len(entries),
            "to_vitals": _median([_minutes(e.arrived_at, e.vitals_at) for e in entries]),
            "to_doctor": _median([_minutes(e.arrived_at, e.called_at) for e in entries]),
        }
    )
    return rows


@requires("frontdesk.waits")
def waits(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    assert actor.clinic is not None
    last = services.today(actor.clinic)
    first = last - timedelta(days=6)
    entries = list(
        _entries(actor, "frontdesk.waits")
        .filter(day__gte=first, day__lte=last)
        .select_related(None)
        .select_related("practitioner__user")
    )
    days = [
        (
            first + timedelta(days=n),
            wait_figures([e for e in entries if e.day == first + timedelta(days=n)])[-1],
        )
        for n in range(7)
    ]
    return render(
        request,
        "frontdesk/waits.html",
        {"today": wait_figures([e for e in entries if e.day == last]), "days": reversed(days)},
    )


class QueueExportView(ExportView):
    policy_action = "frontdesk.export"
    model = QueueEntry
    filterset_class = QueueFilter
    filename = "queue"
    page_key = "arrived_at"
    page_descending = False
    select_related = ("patient", "practitioner__user")
    columns: ClassVar[list[Column]] = [
        Column(gettext_lazy("Day"), lambda e: e.day),
        Column(gettext_lazy("Token"), lambda e: e.token_label),
        Column(gettext_lazy("MRN"), lambda e: e.patient.mrn if e.patient else ""),
        Column(gettext_lazy("Patient"), lambda e: e.display_name),
        Column(gettext_lazy("Doctor"), lambda e: str(e.practitioner or "")),
        Column(gettext_lazy("Priority"), lambda e: e.get_priority_display()),
        Column(gettext_lazy("Status"), lambda e: e.get_status_display()),
        Column(gettext_lazy("Arrived"), lambda e: e.arrived_at),
        Column(gettext_lazy("Vitals"), lambda e: e.vitals_at),
        Column(gettext_lazy("Called in"), lambda e: e.called_at),
        Column(gettext_lazy("Finished"), lambda e: e.finished_at),
        Column(gettext_lazy("Reason"), lambda e: e.reason),
    ]

    def filtered(self) -> tuple[QuerySet[Any], Any]:
        qs, filterset = super().filtered()
        if not self.request.GET.get("day"):
            clinic = actor_of(self.request).clinic
            assert clinic is not None
            qs = qs.filter(day=services.today(clinic))  # today, unless asked
        return qs, filterset


@requires("frontdesk.setup")
def setup(request: HttpRequest) -> HttpResponse:
    """Doctors' rooms and token prefixes, and the waiting-room screens' private links."""
    actor = actor_of(request)
    assert actor.clinic is not None
    doctors = _doctors(actor.clinic)
    if request.method == "POST":
        if request.POST.get("form") == "desk":
            form = DeskForm(request.POST)

            def save(data: dict[str, Any]) -> DoctorDesk:
                doctor = next((d for d in doctors if d.pk == data["practitioner"]), None)
                if doctor is None:
                    raise DomainError(_("Choose a doctor."), field="practitioner")
                return services.set_desk(
                    actor=actor,
                    practitioner=doctor,
                    room=data["room"],
                    token_prefix=data["token_prefix"],
                )

            submit_and_report(request, form, save, _("The room was saved."))
        elif request.POST.get("form") == "link":
            run_and_report(
                request,
                lambda: services.create_board_link(actor=actor, name=request.POST.get("name", "")),
                _("A new screen link was made."),
            )
        elif request.POST.get("form") == "revoke":
            link = access_object(
                actor, "frontdesk.setup", BoardLink.objects.all(), pk=request.POST.get("link") or 0
            )
            run_and_report(
                request,
                lambda: services.revoke_board_link(actor=actor, link=link),
                _("The screen link was revoked."),
            )
        return redirect("frontdesk:setup")
    desks = {d.practitioner_id: d for d in DoctorDesk.objects.for_clinic(actor.clinic)}
    return render(
        request,
        "frontdesk/setup.html",
        {
            "doctors": [(d, desks.get(d.pk)) for d in doctors],
            "links": BoardLink.objects.for_clinic(actor.clinic).filter(revoked_at__isnull=True),
        },
    )
