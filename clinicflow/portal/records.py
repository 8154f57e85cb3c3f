"""What the portal reads of one family member's record, in plain words and in a bounded number
of queries per page: visits with their diagnoses, prescriptions, released lab reports, vitals,
documents, allergies and problems, appointments, and who read the chart.

Every function takes the member (already fetched through ``access.selected_member``) and
reads that member's rows only; only released lab results (verified, or amended after
verification) are ever read here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, Model, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinicflow.accounts.models import Membership
from clinicflow.billing import balances
from clinicflow.billing.models import Invoice, InvoiceStatus, Payment
from clinicflow.clinical.models import (
    Diagnosis,
    Encounter,
    EncounterStatus,
    ItemStatus,
    Prescription,
    PrescriptionItem,
    PrescriptionStatus,
)
from clinicflow.core.audit.reads import naming_patient
from clinicflow.core.audit.recorder import record
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.frontdesk.models import Observation, ObservationStatus
from clinicflow.frontdesk.vitals import Reading, readings
from clinicflow.lab.models import (
    RELEASED_STATUSES,
    LabOrder,
    OrderedTest,
    Result,
)
from clinicflow.lab.report_pdf import ReleasedTest, released_tests
from clinicflow.lab.selectors import RELEASED
from clinicflow.patients.models import (
    Allergy,
    ClinicalStatus,
    Condition,
    DocumentStatus,
    Patient,
    PatientDocument,
)
from clinicflow.scheduling.models import Appointment

#: Pages of the portal's lists: enough for a phone's screen or two.
PAGE_SIZE = 20
#: Vital signs shown: the latest sets (ten years of visits need not all be on one page).
VITALS_SHOWN = 120


# ---------------------------------------------------------------- visits


@dataclass(frozen=True)
class Visit:
    """A signed consultation as the patient reads it: when, with whom, what was found."""

    when: datetime
    doctor: str
    diagnoses: list[str]


def diagnosis_in_words(diagnosis: Diagnosis) -> str:
    """The ICD-10 title ("Predominantly allergic asthma"), not the code alone; the doctor's
    own words where no code fits."""
    if diagnosis.code_id and diagnosis.code is not None:
        return diagnosis.code.title
    return diagnosis.text


def visits(patient: Patient) -> QuerySet[Encounter]:
    """The member's signed consultations, newest first, with live diagnoses (two queries a
    page)."""
    clinic = patient.clinic
    return (
        Encounter.objects.for_clinic(clinic)
        .filter(patient=patient, status=EncounterStatus.SIGNED)
        .select_related("practitioner__user")
        .prefetch_related(
            Prefetch(
                "diagnoses",
                queryset=Diagnosis.objects.for_clinic(clinic)
                .filter(entered_in_error=False)
                .select_related("code"),
                to_attr="live_diagnoses",
            )
        )
        .order_by("-started_at", "-pk")
    )


def as_visits(encounters: Any) -> list[Visit]:
    return [
        Visit(
            when=e.started_at,
            doctor=str(e.practitioner),
            diagnoses=[diagnosis_in_words(d) for d in e.live_diagnoses],
        )
        for e in encounters
    ]


# ---------------------------------------------------------------- prescriptions


def prescriptions(patient: Patient) -> QuerySet[Prescription]:
    """The member's issued prescriptions (never a draft still being written), newest first,
    with their items (two queries a page)."""
    clinic = patient.clinic
    return (
        Prescription.objects.for_clinic(clinic)
        .filter(patient=patient)
        .exclude(status=PrescriptionStatus.DRAFT)
        .select_related("prescriber__user")
        .prefetch_related(
            Prefetch("items", queryset=PrescriptionItem.objects.for_clinic(clinic).order_by("pk"))
        )
        .order_by("-issued_at", "-pk")
    )


def active_medicines(patient: Patient) -> list[PrescriptionItem]:
    """Items still being taken: active, of a prescription issued and not cancelled, within
    their days."""
    rows = (
        PrescriptionItem.objects.for_clinic(patient.clinic)
        .filter(prescription__patient=patient, status=ItemStatus.ACTIVE)
        .exclude(prescription__status__in=[PrescriptionStatus.DRAFT, PrescriptionStatus.CANCELLED])
        .select_related("prescription")
        .order_by("-prescription__issued_at", "pk")
    )
    today = timezone.localdate()
    current = []
    for item in rows:
        issued = item.prescription.issued_at
        if issued is None:
            continue
        started = timezone.localdate(issued)
        if (today - started).days < item.duration_days:
            current.append(item)
    return current


# ---------------------------------------------------------------- lab


def lab_reports(patient: Patient) -> QuerySet[LabOrder]:
    """The member's lab orders with at least one released test, newest first."""
    clinic = patient.clinic
    released = OrderedTest.objects.for_clinic(clinic).filter(
        order=OuterRef("pk"), status__in=RELEASED_STATUSES
    )
    return (
        LabOrder.objects.for_clinic(clinic)
        .filter(patient=patient)
        .filter(Exists(released))
        .prefetch_related(
            Prefetch(
                "tests",
                queryset=OrderedTest.objects.for_clinic(clinic)
                .filter(status__in=RELEASED_STATUSES)
                .select_related("test")
                .order_by("pk"),
                to_attr="released_tests",
            )
        )
        .order_by("-ordered_at", "-pk")
    )


def report_of(order: LabOrder) -> list[ReleasedTest]:
    """The order's released tests, each with its released results only: a value still
    waiting for its second check is never in it."""
    return [
        ReleasedTest(test.ordered, [r for r in test.results if r.status in RELEASED])
        for test in released_tests(order)
    ]


def released_results(patient: Patient) -> QuerySet[Result]:
    return Result.objects.for_clinic(patient.clinic).filter(patient=patient, status__in=RELEASED)


# ---------------------------------------------------------------- vitals, the chart's lists


def vitals(patient: Patient) -> list[Reading]:
    """The member's vital signs as people read them (blood pressure as one reading), newest
    set first (one query)."""
    rows = (
        Observation.objects.for_clinic(patient.clinic)
        .filter(patient=patient, status=ObservationStatus.FINAL)
        .order_by("-taken_at", "code")[:VITALS_SHOWN]
    )
    return readings(rows)


def documents(patient: Patient) -> QuerySet[PatientDocument]:
    """The member's documents (not those filed in error), newest first."""
    return (
        PatientDocument.objects.for_clinic(patient.clinic)
        .filter(patient=patient, status=DocumentStatus.CURRENT)
        .order_by("-uploaded_at", "-pk")
    )


def allergies(patient: Patient) -> list[Allergy]:
    return list(
        Allergy.objects.for_clinic(patient.clinic).filter(
            patient=patient, status=ClinicalStatus.ACTIVE
        )
    )


def problems(patient: Patient) -> list[Condition]:
    return list(
        Condition.objects.for_clinic(patient.clinic)
        .filter(patient=patient)
        .exclude(status=ClinicalStatus.ENTERED_IN_ERROR)
        .order_by("status", "-recorded_at")
    )


def appointments_of(patient: Patient) -> QuerySet[Appointment]:
    """Every appointment of the member, with its doctor (unordered)."""
    return (
        Appointment.objects.for_clinic(patient.clinic)
        .filter(patient=patient)
        .select_related("practitioner__user")
    )


def appointments(patient: Patient) -> tuple[list[Appointment], QuerySet[Appointment]]:
    """The member's coming appointments (soonest first) and past ones (newest first)."""
    now = timezone.now()
    rows = appointments_of(patient)
    coming = list(rows.filter(starts_at__gte=now).order_by("starts_at", "pk"))
    past = rows.filter(starts_at__lt=now).order_by("-starts_at", "-pk")
    return coming, past


# ---------------------------------------------------------------- bills


def issued_bills(patient: Patient) -> QuerySet[Invoice]:
    """The member's issued invoices and credit notes (a draft is not a bill yet), unordered."""
    return Invoice.objects.for_clinic(patient.clinic).filter(
        patient=patient, status=InvoiceStatus.ISSUED
    )


def payments(patient: Patient) -> QuerySet[Payment]:
    """The member's payments (receipts), unordered."""
    return Payment.objects.for_clinic(patient.clinic).filter(patient=patient)


def balance(patient: Patient) -> balances.Balance:
    """What the member owes and what the clinic holds for them, from the ledger."""
    return balances.of_patient(patient.clinic, patient.pk)


# ---------------------------------------------------------------- the audit of a read


def read_of(
    member: Patient, part: str, obj: Model | None = None, *, via: str = "portal", **more: Any
) -> None:
    """One audited read of the member's record (``obj``: the row opened, if one), as the
    portal's pages and its API both record it (``via`` says which)."""
    changes: dict[str, Any] = {"part": part, "via": via, **more}
    if obj is None:
        record(AuditAction.VIEW, obj=member, changes=changes)
    else:
        record(AuditAction.VIEW, obj=obj, changes={**changes, "patient": str(member.pk)})


# ---------------------------------------------------------------- who read the chart

#: What a read was of, in the patient's words, by the part the reading view named.
PARTS = {
    "chart": _("your chart"),
    "details": _("your details"),
    "message preferences": _("your message preferences"),
    "document": _("a document"),
    "outside lab report": _("a document"),
    "encounter": _("a visit's notes"),
    "prescription": _("a prescription"),
    "dispensing": _("the medicines given"),
    "lab report": _("a lab report"),
    "lab order": _("a lab test"),
    "lab collection": _("a lab test"),
    "lab sample results": _("a lab test"),
    "lab result entry": _("a lab test"),
    "sample label": _("a lab test"),
    "critical alert": _("a lab result"),
    "lab trend": _("a lab result's trend"),
    "latest lab results": _("lab results"),
    "billing.invoice": _("a bill"),
    "billing.bill": _("a bill"),
    "billing.invoice.print": _("a bill"),
    "billing.receipt.print": _("a receipt"),
    "invoice qr": _("a bill"),
    "invoice": _("a bill"),
    "receipt": _("a receipt"),
    # Lists that showed the record's name among others.
    "patient search": _("your name in a search"),
    "booking search": _("your name in a search"),
    "lab visit search": _("your name in a search"),
    "pharmacy queue": _("your name in a list of patients"),
    "dispensing history": _("your name in a list of patients"),
    "lab worklist": _("your name in a list of patients"),
    "lab orders to collect": _("your name in a list of patients"),
    "lab dashboard": _("your name in a list of patients"),
    "billing.desk": _("your name in a list of patients"),
    "billing.waiting": _("your name in a list of patients"),
}

#: Rows about one patient whose reads name only the row (a prescription, a bill).
_ROWS_OF_PATIENT: tuple[tuple[str, Any], ...] = (
    ("clinical.prescription", Prescription),
    ("clinical.encounter", Encounter),
    ("billing.invoice", Invoice),
    ("billing.payment", Payment),
    ("lab.laborder", LabOrder),
    ("patients.patientdocument", PatientDocument),
)


@dataclass(frozen=True)
class ChartRead:
    """One read of the chart as the patient is shown it: when, who, in which role, what."""

    when: datetime
    who: str
    roles: list[str]
    what: str


def chart_reads(patient: Patient, *, viewer: Any) -> QuerySet[AuditEvent]:
    """The read events of the member's record in the clinic's trail, newest first: reads of
    the record itself, of rows naming the member, and of lists that showed the member. The
    account's own reads in the portal are left out (the member knows of those)."""
    clinic = patient.clinic
    key = str(patient.pk)
    about = Q(object_type="patients.patient", object_id=key) | naming_patient(key)
    for object_type, model in _ROWS_OF_PATIENT:
        ids = [
            str(pk)
            for pk in model.objects.for_clinic(clinic)
            .filter(patient=patient)
            .values_list("pk", flat=True)
        ]
        if ids:
            about |= Q(object_type=object_type, object_id__in=ids)
    return (
        AuditEvent.objects.for_clinic(clinic)
        .filter(action=AuditAction.VIEW, actor__isnull=False)
        .filter(about)
        .exclude(actor=viewer)
        .select_related("actor")
        .order_by("-occurred_at", "-id")
    )


def as_chart_reads(events: Any, clinic: Any) -> list[ChartRead]:
    """A page of events in the patient's words, with each reader's roles in the clinic (one
    query for the page): never the event's address, device or recorded changes."""
    events = list(events)
    people = {e.actor_id for e in events}
    roles: dict[Any, list[str]] = {}
    for user_id, role in (
        Membership.objects.filter(clinic=clinic, user_id__in=people)
        .order_by("role")
        .values_list("user_id", "role")
    ):
        roles.setdefault(user_id, []).append(role)
    labels = dict(Membership._meta.get_field("role").choices or [])
    shown = []
    for event in events:
        changes = event.changes if isinstance(event.changes, dict) else {}
        part = str(changes.get("part", ""))
        shown.append(
            ChartRead(
                when=event.occurred_at,
                who=event.actor.get_full_name() or event.actor.username,
                roles=[str(labels.get(r, r)) for r in roles.get(event.actor_id, [])],
                what=str(PARTS.get(part, _("your record"))),
            )
        )
    return shown
