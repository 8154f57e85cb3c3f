"""What the patients app contributes to the chart's timeline and to merges."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinicflow.core import dashboards, navigation
from clinicflow.core.actor import Actor
from clinicflow.core.dashboards import Card
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.patients import merging, selectors, timeline
from clinicflow.patients.models import (
    Allergy,
    Condition,
    DocumentStatus,
    Patient,
    PatientDocument,
)
from clinicflow.patients.timeline import TimelineEntry

#: Field names people read on the timeline instead of the column names.
_HIDDEN_IN_EDITS = {"allergy_statement"}


def registration_and_edits(patient: Patient, limit: int) -> Iterable[TimelineEntry]:
    """Registration and each edit of the details, from the audit trail (one query)."""
    events = (
        AuditEvent.objects.for_clinic(patient.clinic)
        .filter(
            object_type=Patient._meta.label_lower,
            object_id=str(patient.pk),
            action__in=[AuditAction.CREATE, AuditAction.UPDATE, AuditAction.MERGE],
        )
        .order_by("-occurred_at")[:limit]
    )
    for event in events:
        if event.action == AuditAction.CREATE:
            yield TimelineEntry(
                event.occurred_at,
                "registration",
                _("Registered"),
                event.actor_label,
                "bi-person-plus",
            )
        elif event.action == AuditAction.MERGE:
            yield TimelineEntry(
                event.occurred_at,
                "merge",
                _("Record %(mrn)s merged in") % {"mrn": event.changes.get("merged", "")},
                event.actor_label,
                "bi-intersect",
            )
        else:
            fields = sorted(set(event.changes) - _HIDDEN_IN_EDITS)
            if fields:
                yield TimelineEntry(
                    event.occurred_at,
                    "edit",
                    _("Details changed: %(fields)s")
                    % {"fields": ", ".join(f.replace("_", " ") for f in fields)},
                    event.actor_label,
                    "bi-pencil",
                )


def allergies_and_conditions(patient: Patient, limit: int) -> Iterable[TimelineEntry]:
    for model, kind, icon in (
        (Allergy, "allergy", "bi-exclamation-octagon"),
        (Condition, "condition", "bi-clipboard2-pulse"),
    ):
        rows = (
            model.objects.for_clinic(patient.clinic)
            .filter(patient=patient)
            .select_related("recorded_by")
            .order_by("-recorded_at")[:limit]
        )
        for row in rows:
            who = str(row.recorded_by) if row.recorded_by else ""
            label = (
                _("Allergy recorded: %(what)s")
                if kind == "allergy"
                else _("Problem recorded: %(what)s")
            )
            yield TimelineEntry(row.recorded_at, kind, label % {"what": row}, who, icon)


def documents(patient: Patient, limit: int) -> Iterable[TimelineEntry]:
    rows = (
        PatientDocument.objects.for_clinic(patient.clinic)
        .filter(patient=patient, status=DocumentStatus.CURRENT)
        .select_related("uploaded_by")
        .order_by("-uploaded_at")[:limit]
    )
    for document in rows:
        yield TimelineEntry(
            document.uploaded_at,
            "document",
            _("Document: %(title)s") % {"title": document.title},
            f"{document.get_category_display()} · {document.uploaded_by or ''}",
            "bi-file-earmark-medical",
            reverse("patients:document", args=[document.pk]),
        )


def registered_today(actor: Actor) -> Card:
    assert actor.clinic is not None
    # The clinic's day as a range of instants, so the (clinic, created_at) index answers.
    start = datetime.combine(timezone.localdate(), time.min, tzinfo=actor.clinic.zone)
    count = (
        selectors.in_clinic(actor.clinic)
        .filter(created_at__gte=start, created_at__lt=start + timedelta(days=1))
        .count()
    )
    return Card(
        title=_("Patients registered today"),
        value=count,
        url=reverse("patients:search"),
        icon="bi-person-plus",
        key="patients.registered_today",
    )


NAVIGATION = [
    navigation.Entry(
        gettext_lazy("Patients"), "patients:search", "bi-person-vcard", "front_desk", 10
    ),
]


def register() -> None:
    dashboards.register_card(
        "patients.registered_today",
        registered_today,
        roles={Role.RECEPTIONIST, Role.MANAGER, Role.ADMIN},
        order=60,
    )
    navigation.register(*NAVIGATION)
    timeline.register_source("patients.documents", documents)
    merging.register_mover("documents", merging.move_rows(PatientDocument))
    timeline.register_source("patients.registration", registration_and_edits)
    timeline.register_source("patients.allergies_conditions", allergies_and_conditions)
    merging.register_mover("allergies", merging.move_rows(Allergy))
    merging.register_mover("conditions", merging.move_rows(Condition))
