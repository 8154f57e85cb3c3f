"""What scheduling adds elsewhere: appointments on the patient's chart and in merges, the day's
appointments on the dashboards, and its pages in the sidebar."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinicflow.core import dashboards, navigation, policy
from clinicflow.core.actor import Actor
from clinicflow.core.roles import Role
from clinicflow.patients import merging, timeline, visits
from clinicflow.patients.models import Patient
from clinicflow.patients.timeline import TimelineEntry
from clinicflow.scheduling import charging, messages, replies
from clinicflow.scheduling.models import Appointment, AppointmentStatus, VisitReview


def appointments(patient: Patient, limit: int) -> Iterable[TimelineEntry]:
    rows = (
        Appointment.objects.for_clinic(patient.clinic)
        .filter(patient=patient)
        .select_related("practitioner__user")
        .order_by("-starts_at")[:limit]
    )
    for row in rows:
        yield TimelineEntry(
            row.starts_at,
            "appointment",
            _("Appointment with %(doctor)s") % {"doctor": row.practitioner},
            f"{row.get_status_display()}{' · ' + row.reason if row.reason else ''}",
            "bi-calendar-event",
            reverse("scheduling:appointment", args=[row.pk]),
        )


#: Appointments that mean the patient came.
SEEN = (
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_CONSULTATION,
    AppointmentStatus.COMPLETED,
)


def last_seen(clinic_id: Any, patient_ids: list[Any], until: datetime) -> QuerySet[Appointment]:
    """When each of these patients last came to an appointment, up to ``until``. An
    appointment checked in ahead of its time is not a visit on its booked day (that day may
    not have come): the front desk's provider has the day the patient really came."""
    return (
        Appointment.objects.filter(clinic_id=clinic_id, patient_id__in=patient_ids)
        .filter(status__in=SEEN, starts_at__lte=until)
        .values("patient")
        .annotate(last=Max("starts_at"))
        .values_list("patient", "last")
        .order_by()
    )


#: Appointments that no longer take place, and those whose patient has not arrived yet.
GONE = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
EXPECTED = (AppointmentStatus.REQUESTED, AppointmentStatus.BOOKED)


def appointments_today(actor: Actor) -> dashboards.Card:
    """Today's appointments the actor may see (a doctor: their own), and how many of them
    are still to arrive. One query."""
    assert actor.clinic is not None
    zone = actor.clinic.zone
    start = datetime.combine(timezone.localtime(timezone.now(), zone).date(), time.min, zone)
    counts = (
        policy.restrict(actor, "scheduling.view", Appointment.objects.all())
        .filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1))
        .aggregate(
            kept=Count("pk", filter=~Q(status__in=GONE)),
            expected=Count("pk", filter=Q(status__in=EXPECTED)),
        )
    )
    whole_clinic = policy.reaches_whole_clinic(actor, "scheduling.view")
    return dashboards.Card(
        title=gettext_lazy("Appointments today")
        if whole_clinic
        else gettext_lazy("My appointments today"),
        value=counts["kept"],
        note=_("%(count)d still to arrive.") % {"count": counts["expected"]},
        url=reverse("scheduling:appointments" if whole_clinic else "scheduling:doctor_day"),
        icon="bi-calendar-check",
        key="scheduling.appointments_today",
    )


NAVIGATION = [
    navigation.Entry(
        gettext_lazy("Appointments"),
        "scheduling:appointments",
        "bi-calendar-week",
        "front_desk",
        30,
        covers=("scheduling:book",),
    ),
    navigation.Entry(
        gettext_lazy("Calendar"), "scheduling:calendar", "bi-calendar3", "front_desk", 40
    ),
    navigation.Entry(
        gettext_lazy("Doctor's day"), "scheduling:doctor_day", "bi-calendar-day", "clinical", 10
    ),
    navigation.Entry(
        gettext_lazy("Doctors"),
        "scheduling:practitioners",
        "bi-person-badge",
        "administration",
        10,
    ),
]


def register() -> None:
    charging.register()
    messages.register()
    replies.register()
    dashboards.register_card(
        "scheduling.appointments_today",
        appointments_today,
        roles={Role.DOCTOR, Role.RECEPTIONIST, Role.MANAGER, Role.ADMIN},
        order=40,
    )
    navigation.register(*NAVIGATION)
    visits.register_provider("scheduling.appointments", last_seen)
    timeline.register_source("scheduling.appointments", appointments)
    merging.register_mover("appointments", merging.move_rows(Appointment))
    merging.register_mover("reviews", merging.move_rows(VisitReview))
