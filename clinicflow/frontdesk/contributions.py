"""What the front desk adds elsewhere: visits and vitals on the chart, last visits in search
results, dashboard cards, moving visits in a merge, and queueing appointments checked in
outside the queue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import groupby
from typing import Any

from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinicflow.core import dashboards, navigation, policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import Conflict
from clinicflow.core.roles import Role
from clinicflow.frontdesk import charging, messages, vitals
from clinicflow.frontdesk.models import OPEN_STATUSES, Observation, QueueEntry, QueueStatus
from clinicflow.patients import merging, panels, timeline, visits
from clinicflow.patients.models import Patient
from clinicflow.patients.timeline import TimelineEntry
from clinicflow.scheduling import notices
from clinicflow.scheduling.models import AppointmentStatus
from clinicflow.scheduling.signals import appointment_changed


def visit_entries(patient: Patient, limit: int) -> Iterable[TimelineEntry]:
    rows = (
        QueueEntry.objects.for_clinic(patient.clinic)
        .filter(patient=patient)
        .select_related("practitioner__user")
        .order_by("-arrived_at")[:limit]
    )
    for row in rows:
        doctor = _(" · %(doctor)s") % {"doctor": row.practitioner} if row.practitioner else ""
        yield TimelineEntry(
            row.arrived_at,
            "visit",
            _("Visit, token %(token)s") % {"token": row.token_label},
            f"{row.get_status_display()} · {row.get_priority_display()}{doctor}",
            "bi-door-open",
            reverse("frontdesk:entry", args=[row.pk]),
        )


def vitals_entries(patient: Patient, limit: int) -> Iterable[TimelineEntry]:
    rows = (
        Observation.objects.for_clinic(patient.clinic)
        .filter(patient=patient, status="final")
        .order_by("-taken_at", "code")[: limit * 10]
    )
    for taken_at, group in groupby(rows, key=lambda o: o.taken_at):
        values = list(group)
        flagged = [o for o in values if o.is_abnormal]
        detail = " · ".join(str(reading) for reading in vitals.readings(values))
        title = _("Vitals") + (_(" — %(n)d abnormal") % {"n": len(flagged)} if flagged else "")
        yield TimelineEntry(taken_at, "vitals", title, detail, "bi-heart-pulse")


def latest_vitals_panel(patient: Patient, actor: Actor) -> panels.Panel | None:
    from clinicflow.frontdesk.selectors import latest_vitals

    rows = latest_vitals(patient)
    return panels.Panel("frontdesk/_latest_vitals.html", {"vitals": rows}) if rows else None


def last_visits(clinic_id: Any, patient_ids: list[Any], until: datetime) -> QuerySet[QueueEntry]:
    """When each of these patients last came to the front desk (a visit not cancelled), up to
    ``until``."""
    return (
        QueueEntry.objects.filter(
            clinic_id=clinic_id, patient_id__in=patient_ids, arrived_at__lte=until
        )
        .exclude(status__in=[QueueStatus.CANCELLED, QueueStatus.LEFT])
        .values("patient")
        .annotate(last=Max("arrived_at"))
        .values_list("patient", "last")
        .order_by()
    )


def move_visits(duplicate: Patient, survivor: Patient) -> int:
    """Visits and vitals follow the surviving record; two open visits on one day cannot."""
    entries = QueueEntry.objects.for_clinic(duplicate.clinic)
    open_days = set(
        entries.filter(patient=survivor, status__in=OPEN_STATUSES).values_list("day", flat=True)
    )
    if entries.filter(patient=duplicate, status__in=OPEN_STATUSES, day__in=open_days).exists():
        raise Conflict(_("Both records are in today's queue: finish one of the visits first."))
    moved = entries.filter(patient=duplicate).update(patient=survivor)
    observations = Observation.objects.for_clinic(duplicate.clinic).filter(patient=duplicate)
    return int(moved) + int(observations.update(patient=survivor))


def _count_card(title: Any, key: str, icon: str, statuses: Sequence[str], mine: bool = False):
    def card(actor: Actor) -> dashboards.Card:
        from clinicflow.frontdesk.services import today

        assert actor.clinic is not None
        rows = policy.restrict(actor, "frontdesk.queue", QueueEntry.objects.all())
        rows = rows.filter(day=today(actor.clinic), status__in=statuses)
        if mine:
            rows = rows.filter(practitioner__user=actor.user)
        return dashboards.Card(
            title=title,
            value=rows.count(),
            url=reverse("frontdesk:queue"),
            icon=icon,
            key=key,
        )

    return card


def arrival_notice(appointment: Any) -> str | None:
    """Checked in (on the appointment's page or the doctor's day): the token it got in the
    queue and where to wait, as the queue's own check-in says."""
    if appointment.status != AppointmentStatus.CHECKED_IN:
        return None
    from clinicflow.frontdesk.services import arrival_message

    entry = (
        QueueEntry.objects.for_clinic(appointment.clinic)
        .filter(appointment=appointment)
        .select_related("practitioner__user", "practitioner__clinic")
        .first()
    )
    return arrival_message(entry) if entry is not None else None


NAVIGATION = [
    navigation.Entry(gettext_lazy("Queue"), "frontdesk:queue", "bi-list-ol", "front_desk", 20),
    navigation.Entry(gettext_lazy("Wait times"), "frontdesk:waits", "bi-stopwatch", "reports", 20),
    navigation.Entry(
        gettext_lazy("Rooms and screens"), "frontdesk:setup", "bi-tv", "administration", 20
    ),
]


def _follow(sender: Any, appointment: Any, from_status: str, actor: Actor, **kwargs: Any) -> None:
    from clinicflow.frontdesk.services import follow_appointment

    follow_appointment(actor=actor, appointment=appointment, from_status=from_status)


def register() -> None:
    charging.register()
    messages.register()
    timeline.register_source("frontdesk.visits", visit_entries)
    timeline.register_source("frontdesk.vitals", vitals_entries)
    panels.register_panel("frontdesk.latest_vitals", latest_vitals_panel)
    visits.register_provider("frontdesk.visits", last_visits)
    merging.register_mover("queue visits and vitals", move_visits)
    waiting = (QueueStatus.WAITING, QueueStatus.READY)
    for key, title, icon, statuses, mine, roles, order in (
        (
            "frontdesk.waiting_for_me",
            gettext_lazy("Patients waiting for me"),
            "bi-people",
            waiting,
            True,
            {Role.DOCTOR},
            10,
        ),
        (
            "frontdesk.waiting_for_vitals",
            gettext_lazy("Waiting for vitals"),
            "bi-heart-pulse",
            (QueueStatus.WAITING,),
            False,
            {Role.NURSE},
            10,
        ),
        (
            "frontdesk.in_clinic",
            gettext_lazy("In the queue"),
            "bi-list-ol",
            OPEN_STATUSES,
            False,
            {Role.NURSE, Role.RECEPTIONIST, Role.MANAGER, Role.ADMIN},
            50,
        ),
    ):
        card = _count_card(title, key, icon, statuses, mine)
        dashboards.register_card(key, card, roles=roles, order=order)
    navigation.register(*NAVIGATION)
    appointment_changed.connect(_follow, dispatch_uid="frontdesk.follow_appointment")
    notices.register_notice("frontdesk.arrival", arrival_notice)
