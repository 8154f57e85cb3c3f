"""What the consultation adds elsewhere: encounters on the chart's timeline (the front desk
sees that a visit happened, not its note), moving encounters in a merge, the doctor's "notes
to sign" card."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinicflow.clinical import charging, dose_reminders, messages, sections
from clinicflow.clinical.models import DoseRecord, Encounter, EncounterStatus, Prescription
from clinicflow.core import dashboards, policy
from clinicflow.core.actor import Actor
from clinicflow.core.roles import Role
from clinicflow.patients import merging, panels, timeline
from clinicflow.patients.models import Patient
from clinicflow.patients.timeline import TimelineEntry


def encounters(patient: Patient, limit: int) -> Iterable[TimelineEntry]:
    rows = (
        Encounter.objects.for_clinic(patient.clinic)
        .filter(patient=patient)
        .select_related("practitioner__user")
        .order_by("-started_at")[:limit]
    )
    for row in rows:
        yield TimelineEntry(
            row.started_at,
            "encounter",
            _("Consultation with %(doctor)s") % {"doctor": row.practitioner},
            row.get_status_display(),
            "bi-journal-medical",
            reverse("clinical:encounter", args=[row.pk]),
        )


def notes_to_sign(actor: Actor) -> dashboards.Card:
    assert actor.clinic is not None
    count = (
        Encounter.objects.for_clinic(actor.clinic)
        .filter(practitioner__user=actor.user, status=EncounterStatus.OPEN)
        .count()
    )
    return dashboards.Card(
        title=gettext_lazy("Notes to sign"),
        value=count,
        url=reverse("frontdesk:queue"),
        icon="bi-journal-medical",
        key="clinical.notes_to_sign",
    )


def adherence_panel(patient: Patient, actor: Actor) -> panels.Panel | None:
    """For clinicians: how much of each medicine being taken the patient says they took
    (told in the portal); nothing when no medicine has a dose due yet."""
    if not policy.allows_object(actor, "clinical.view", patient):
        return None
    from clinicflow.clinical.adherence import adherence

    rows = [row for row in adherence(patient) if row.due]
    return panels.Panel("clinical/_adherence.html", {"rows": rows}) if rows else None


def adherence_section(encounter: Encounter, actor: Actor) -> panels.Panel | None:
    return adherence_panel(encounter.patient, actor)


def register() -> None:
    charging.register()
    panels.register_panel("clinical.adherence", adherence_panel)
    sections.register_section("clinical.adherence", adherence_section)
    messages.register()
    dose_reminders.register()
    timeline.register_source("clinical.encounters", encounters)
    merging.register_mover("encounters", merging.move_rows(Encounter))
    merging.register_mover("prescriptions", merging.move_rows(Prescription))
    merging.register_mover("dose records", merging.move_rows(DoseRecord))
    dashboards.register_card("clinical.notes_to_sign", notes_to_sign, roles={Role.DOCTOR}, order=30)
