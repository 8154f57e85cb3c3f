"""The policy matrix, second half: not only *whether* each role may call each API route that
hands out patients' data, but *which fields* it receives there, and that every such read is in
the audit trail. ``RECEIVED`` is the reviewed answer: a serializer that starts handing out a
new field fails here until a reviewer adds it, and a field the policy does not give a role
never reaches it, whatever the serializer lists."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from clinicflow.core import policy
from clinicflow.core.access import ScopedViewSetMixin, narrow_to_policy
from clinicflow.core.api_urls import router
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.patients.api import PatientSerializer
from tests.care_day import SECRET_NOTE, CareDay, care_day
from tests.factories import member

pytestmark = pytest.mark.django_db

IDENTITY = sorted(policy.PATIENT_IDENTITY)
RECORD = sorted(policy.PATIENT_RECORD)

#: What a role granted the route receives of one row: top-level keys, and ``outer.inner`` for
#: the keys of nested records (their lists: the keys of their first entry).
RECEIVED: dict[str, list[str]] = {
    "patient-list": IDENTITY,
    "patient-search": IDENTITY,
    "patient-detail": sorted(policy.PATIENT_RECORD - {"age_years"}),  # the birth date says it
    "allergy-list": [
        "id", "patient", "reaction", "recorded_at", "recorded_by", "severity", "status",
        "status_reason", "substance",
    ],
    "condition-list": [
        "description", "icd10_code", "id", "onset", "patient", "recorded_at", "recorded_by",
        "status", "status_reason",
    ],
    "document-list": [
        "category", "content_type", "document_date", "id", "patient", "sha256", "size",
        "status", "status_reason", "title", "uploaded_at", "uploaded_by",
    ],
    "appointment-list": [
        "created_at", "documents", "ends_at", "id", "kind", "patient", "practitioner", "reason",
        "starts_at", "status", "status_reason",
    ],
    "queue-entry-list": [
        "appointment", "arrived_at", "called_at", "day", "finished_at", "id", "patient",
        "practitioner", "priority", "ready_at", "reason", "room", "status", "status_reason",
        "token", "token_label", "vitals_at", "walk_in_name", "walk_in_phone",
    ],
    "observation-list": [
        "code", "entry", "flag", "id", "name", "patient", "taken_at", "unit", "value",
    ],
    "encounter-list": [
        "amendments", "appointment", "assessment", "diagnoses", "entry", "follow_up_of", "id",
        "objective", "patient", "plan", "practitioner", "quick_note", "signed_at", "signed_by",
        "started_at", "status", "subjective", "version",
    ],
    "prescription-list": [
        "encounter", "id", "issued_at", "items.alerts", "items.dose", "items.dose_unit",
        "items.duration_days", "items.every_hours", "items.form", "items.free_text",
        "items.frequency", "items.id", "items.in_words", "items.instructions",
        "items.medicine_name", "items.quantity", "items.route", "items.status",
        "items.stop_reason", "items.strength", "items.times_of_day", "patient", "prescriber",
        "status",
    ],
    "dispense-list": [
        "batch", "batch_number", "batch_reason", "completes_item", "dispensed_at", "dispensed_by",
        "dispensed_by_name", "expiry_date", "id", "item", "medicine", "medicine_name", "patient",
        "patient_mrn", "patient_name", "prescribed", "prescriber", "prescriber_name",
        "prescription", "quantity", "substitution_reason", "unit_price",
    ],
    "dispensing-detail": [
        "id", "issued_at", "items.completed", "items.dispensed", "items.form", "items.free_text",
        "items.id", "items.in_words", "items.medicine_name", "items.quantity", "items.remaining",
        "items.strength", "patient", "patient_mrn", "patient_name", "prescriber",
        "prescriber_name", "review.findings", "review.id", "review.note", "review.prescription",
        "review.reviewed_at", "review.reviewed_by", "status", "status_reason",
    ],
    "charge-list": [
        "amount", "charged_at", "description", "id", "item", "patient", "patient_mrn",
        "patient_name", "quantity", "status", "tax_category", "unit_price", "void_reason",
    ],
    "invoice-list": [
        "created_at", "credit_of", "credited", "discount_approved", "discount_reason",
        "discount_total", "id", "issued_at", "kind", "lines.charge", "lines.credits",
        "lines.description", "lines.discount", "lines.gross", "lines.id", "lines.quantity",
        "lines.tax", "lines.tax_rate", "lines.total", "lines.unit_price", "number", "paid",
        "patient", "patient_due", "patient_mrn", "patient_name", "payer_share", "payments.amount",
        "payments.id", "payments.number", "payments.received_at", "payments.tenders", "reason",
        "status", "subtotal", "tax_total", "total",
    ],
    "payment-list": [
        "amount", "id", "invoice", "invoice_number", "number", "patient", "patient_mrn",
        "patient_name", "purpose", "received_at", "received_by", "shift", "tenders.amount",
        "tenders.method", "tenders.reference",
    ],
    "refund-list": [
        "amount", "approved_by", "id", "method", "number", "paid_at", "patient", "patient_mrn",
        "patient_name", "payment", "reason", "requested_at", "requested_by", "status",
    ],
    "lab-order-status-list": [
        "id", "number", "ordered_at", "ordering_doctor", "ordering_doctor_name", "patient",
        "patient_mrn", "patient_name", "referrer", "source", "tests.cancel_reason",
        "tests.cancelled_at", "tests.code", "tests.id", "tests.name", "tests.status",
        "tests.test", "urgency",
    ],
    "lab-order-list": [
        "clinical_note", "encounter", "id", "number", "ordered_at", "ordered_by",
        "ordering_doctor", "ordering_doctor_name", "patient", "patient_mrn", "patient_name",
        "referrer", "report_url", "results.amend_reason", "results.amends", "results.code",
        "results.collected_at", "results.comment", "results.delta_flagged", "results.flag",
        "results.id", "results.name", "results.ordered_test", "results.parameter",
        "results.previous_value", "results.reference", "results.status", "results.text",
        "results.unit", "results.value", "results.verified_at", "results.verified_by",
        "samples.accession", "samples.collected_at", "samples.collected_by",
        "samples.container", "samples.id", "samples.received_at", "samples.recorded_at",
        "samples.rejected_at", "samples.rejection_note", "samples.rejection_reason",
        "samples.sample_type", "samples.status", "samples.tests", "source",
        "tests.cancel_reason", "tests.cancelled_at", "tests.code", "tests.comment", "tests.id",
        "tests.name", "tests.resulted_at", "tests.sample", "tests.status", "tests.test",
        "tests.verified_at", "urgency",
    ],
    "lab-alert-list": [
        "acknowledged_at", "acknowledged_by", "action_taken", "escalated_at", "flag", "id",
        "order", "order_number", "parameter", "patient", "patient_mrn", "patient_name",
        "raised_at", "result", "test_name", "unit", "value",
    ],
}  # fmt: skip

#: Where roles granted one route receive different fields: the lab's bench also gets who
#: entered each result, when, and the range as stored.
RECEIVED_BY_ROLE: dict[tuple[str, Role], list[str]] = {
    ("lab-order-list", Role.LAB_TECHNICIAN): sorted(
        [*RECEIVED["lab-order-list"], "results.applied_range", "results.entered_at",
         "results.entered_by"]
    ),
}  # fmt: skip


def _keys(row: dict[str, Any]) -> list[str]:
    keys = []
    for key, value in row.items():
        inner = value[0] if isinstance(value, list) and value else value
        if isinstance(inner, dict):
            keys += [f"{key}.{k}" for k in inner]
        else:
            keys.append(key)
    return sorted(keys)


def _patient_viewsets() -> list[tuple[str, Any]]:
    return [
        (basename, viewset)
        for _, viewset, basename in router.registry
        if getattr(viewset, "patient_key", None)
    ]


def _routes(day: CareDay) -> list[tuple[str, str, dict[str, str]]]:
    """(name in RECEIVED, URL, query) for every list of patients' data, the patient search
    and the record itself."""
    routes = [
        (f"{basename}-list", reverse(f"api:{basename}-list"), {})
        for basename, viewset in _patient_viewsets()
        if hasattr(viewset, "list")
    ]
    routes.append(
        ("dispensing-detail", reverse("api:dispensing-detail", args=[day.prescription.pk]), {})
    )
    routes.append(("patient-search", reverse("api:patient-list"), {"q": day.patient.mrn}))
    routes.append(("patient-detail", reverse("api:patient-detail", args=[day.patient.pk]), {}))
    return routes


@pytest.fixture
def day(clinic, manager, receptionist, nurse, doctor, pharmacist) -> CareDay:
    people = {
        "manager": manager,
        "receptionist": receptionist,
        "nurse": nurse,
        "doctor": doctor,
        "pharmacist": pharmacist,
    }
    day = care_day(clinic, people)
    lab_day(clinic, day.patient, doctor=doctor, nurse=nurse)
    return day


def lab_day(clinic: Any, patient: Any, *, doctor: Any, nurse: Any) -> None:
    """The patient's lab visit: a doctor's order, collected, resulted, verified by a second
    technician, its critical value alerted and escalated to the managers."""
    from datetime import timedelta

    from django.utils import timezone

    from clinicflow.accounts.actors import actor_for
    from clinicflow.lab import alerts, orders, results, samples
    from clinicflow.lab.models import LabSection, LabTest, Parameter, ReferenceRange

    section = LabSection.objects.create(clinic=clinic, name="Biochemistry")
    test = LabTest.objects.create(clinic=clinic, code="TG", name="Triglycerides", section=section)
    parameter = Parameter.objects.create(
        clinic=clinic, test=test, code="tg", name="Triglycerides", unit="mg/dL"
    )
    ReferenceRange.objects.create(
        clinic=clinic, parameter=parameter, high="150", critical_high="1000"
    )
    order = orders.place(actor=actor_for(doctor), patient=patient, tests=[test])
    samples.collect(
        actor=actor_for(nurse), order=order, collected_at=timezone.now() - timedelta(minutes=5)
    )
    ordered = order.tests.get()
    entering, verifying = (member(Role.LAB_TECHNICIAN, clinic, username=f"bench_{n}") for n in "ab")
    results.enter(
        actor=actor_for(entering), ordered_test=ordered, values={str(parameter.pk): "1200"}
    )
    results.verify(actor=actor_for(verifying), ordered_test=ordered)
    alerts.escalate_overdue(clinic, now=timezone.now() + timedelta(hours=1))


def _person(role: Role, clinic: Any, people: dict[str, Any]) -> Any:
    fixtures = {
        Role.MANAGER: "manager",
        Role.RECEPTIONIST: "receptionist",
        Role.NURSE: "nurse",
        Role.DOCTOR: "doctor",
        Role.PHARMACIST: "pharmacist",
    }
    if role in fixtures:
        return people[fixtures[role]]
    return member(role, clinic, username=f"fields_{role.value}")


def _read_events_naming(patient: Any) -> int:
    key = str(patient.pk)
    return sum(
        1
        for event in AuditEvent.objects.for_clinic(patient.clinic).filter(action=AuditAction.VIEW)
        if event.object_id == key
        or event.changes.get("patient") == key
        or key in event.changes.get("patients", [])
    )


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_receives_exactly_the_reviewed_fields_and_each_read_is_audited(
    role, clinic, day, manager, receptionist, nurse, doctor, pharmacist, sign_in
):
    people = {
        "manager": manager,
        "receptionist": receptionist,
        "nurse": nurse,
        "doctor": doctor,
        "pharmacist": pharmacist,
    }
    client = sign_in(_person(role, clinic, people))
    mismatches = []
    for name, url, query in _routes(day):
        before = _read_events_naming(day.patient)
        response = client.get(url, query)
        if response.status_code == 403:
            continue
        assert response.status_code == 200, (name, response.status_code)
        body = response.json()
        rows = body.get("results", [body])
        assert rows, f"{name}: no rows for {role.value}; the care day must produce some"
        expected = RECEIVED_BY_ROLE.get((name, role), RECEIVED.get(name))
        if _keys(rows[0]) != expected:
            mismatches.append(f"{name}: {_keys(rows[0])}")
        assert SECRET_NOTE.encode() not in response.content or "notes" in (expected or [])
        assert _read_events_naming(day.patient) == before + 1, f"{name} read not audited"
    assert not mismatches, f"{role.value} receives: " + "; ".join(mismatches)


@pytest.mark.parametrize(
    "role", [Role.PHARMACIST, Role.CASHIER, Role.LAB_TECHNICIAN], ids=lambda r: r.value
)
def test_roles_denied_the_chart_find_a_patient_by_identity_alone(role, clinic, day, sign_in):
    """The outside review's finding: these roles got notes, medicines, address and emergency
    contacts from the list while the chart was refused to them."""
    client = sign_in(member(role, clinic, username=f"finder_{role.value}"))
    for query in ({"q": day.patient.mrn}, {"q": "Kabita Lama"}, {}):
        response = client.get(reverse("api:patient-list"), query)
        assert response.status_code == 200
        row = next(r for r in response.json()["results"] if r["id"] == str(day.patient.pk))
        assert sorted(row) == IDENTITY
        assert SECRET_NOTE.encode() not in response.content
        assert b"Baneshwor" not in response.content
    detail = client.get(reverse("api:patient-detail", args=[day.patient.pk]))
    assert detail.status_code == 403
    page = client.get(reverse("patients:search"), {"q": "Kabita Lama"})
    assert b"Kabita" in page.content
    for secret in (SECRET_NOTE, "Baneshwor", "Levothyroxine", "Pemba"):
        assert secret.encode() not in page.content


def test_every_viewset_of_patients_data_names_where_its_patient_is():
    """A new list of patients' data cannot skip the read audit by forgetting to say so."""
    missing = []
    for _, viewset, basename in router.registry:
        model = getattr(getattr(viewset, "queryset", None), "model", None)
        if model is None:
            continue
        about_patients = model._meta.label_lower == policy.PATIENT or any(
            getattr(f.related_model, "_meta", None)
            and f.related_model._meta.label_lower == policy.PATIENT
            for f in model._meta.get_fields()
            if f.many_to_one
        )
        if about_patients and not getattr(viewset, "patient_key", None):
            missing.append(basename)
        if about_patients:
            assert issubclass(viewset, ScopedViewSetMixin), basename
    assert not missing


def test_the_policy_trims_a_serializer_that_lists_more_than_the_role_receives(
    clinic, day, pharmacist
):
    from clinicflow.accounts.actors import actor_for

    serializer = PatientSerializer([day.patient], many=True)
    narrow_to_policy(serializer, actor_for(pharmacist), "patients.search")
    (row,) = serializer.data
    # Its age is an input there (write-only), so it hands out the rest of the identity only.
    assert sorted(row) == ["family_name", "given_name", "id", "is_active", "mrn", "phone", "sex"]


def test_a_role_granted_several_ways_receives_the_fields_of_each(clinic, day):
    from clinicflow.accounts.actors import actor_for

    both = member(Role.PHARMACIST, clinic, username="two_hats")
    from tests.factories import MembershipFactory

    MembershipFactory(user=both, clinic=clinic, role=Role.NURSE)
    shown = policy.fields_for(actor_for(both), "patients.chart", policy.PATIENT)
    assert shown == policy.PATIENT_RECORD
    assert policy.fields_for(actor_for(both), "pharmacy.history", policy.PATIENT) is None


def test_the_search_action_declares_identity_for_every_role():
    rule = policy.rule_for("patients.search")
    assert {role: kinds[policy.PATIENT] for role, kinds in rule.fields.items()} == dict.fromkeys(
        rule.grants, policy.PATIENT_IDENTITY
    )


def test_no_portal_action_hands_a_patient_the_staffs_working_notes():
    """A family manager reads a teenager's or a parent's record through several portal
    actions; none of them may carry the notes the staff keep on the record."""
    for action, rule in policy.POLICY.items():
        if not action.startswith("portal."):
            continue
        for kinds in rule.fields.values():
            assert "notes" not in kinds.get(policy.PATIENT, frozenset()), action
