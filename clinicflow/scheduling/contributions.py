"""What scheduling adds to the patient's chart and to merges."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from clinicflow.patients import merging, timeline, visits
from clinicflow.patients.models import Patient
from clinicflow.patients.timeline import TimelineEntry
from clinicflow.scheduling.models import Appointment, AppointmentStatus


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


def register() -> None:
    visits.register_provider("scheduling.appointments", last_seen)
    timeline.register_source("scheduling.appointments", appointments)
    merging.register_mover("appointments", merging.move_rows(Appointment))
