"""What scheduling adds to the patient's chart and to merges."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from clinicflow.patients import merging, timeline
from clinicflow.patients.models import Patient
from clinicflow.patients.timeline import TimelineEntry
from clinicflow.scheduling.models import Appointment


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


def register() -> None:
    timeline.register_source("scheduling.appointments", appointments)
    merging.register_mover("appointments", merging.move_rows(Appointment))
