"""Ordering tests: a doctor from their open consultation, reception (or a doctor) for a direct
lab visit with an outside prescription; cancelling a test before its sample is taken. Billing
hears of each ordered test and of each cancellation through ``lab.charging``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.core.roles import Role
from clinicflow.lab import numbers
from clinicflow.lab.models import (
    LabOrder,
    LabTest,
    OrderedTest,
    OrderSource,
    PanelMember,
    TestStatus,
    Urgency,
)

#: A test may be cancelled until its sample is taken (or after its sample was rejected).
CANCELLABLE = (TestStatus.ORDERED, TestStatus.REJECTED)


def _checked_tests(clinic: Any, tests: Sequence[LabTest]) -> list[LabTest]:
    if not tests:
        raise DomainError("Choose at least one test.", field="tests")
    ids = [t.pk for t in tests]
    if len(set(ids)) != len(ids):
        raise DomainError("A test is chosen twice.", field="tests")
    found = {t.pk: t for t in LabTest.objects.for_clinic(clinic).filter(pk__in=ids)}
    if len(found) != len(ids):
        raise DomainError("Choose tests from this clinic's catalogue.", field="tests")
    retired = [t.name for t in found.values() if not t.is_active]
    if retired:
        raise DomainError(f"No longer offered: {', '.join(retired)}.", field="tests")
    in_panels = (
        PanelMember.objects.for_clinic(clinic)
        .filter(panel_id__in=ids, test_id__in=ids)
        .select_related("panel", "test")
    )
    for member in in_panels:
        raise DomainError(
            f"{member.test.name} is part of {member.panel.name}: order one or the other.",
            field="tests",
        )
    return [found[pk] for pk in ids]


@transaction.atomic
def place(
    *,
    actor: Actor,
    patient: Any,
    tests: Sequence[LabTest],
    urgency: str = Urgency.ROUTINE,
    clinical_note: str = "",
    encounter: Any = None,
    referrer: str = "",
) -> LabOrder:
    """Order ``tests`` for ``patient``: from ``encounter`` (the doctor's own, still being
    written), or, without one, as a direct lab visit with the outside prescriber's name."""
    clinic = policy.require(actor, "lab.order")
    if patient.clinic_id != clinic.pk or not patient.is_active:
        raise DomainError("Choose an active patient of this clinic.", field="patient")
    if urgency not in Urgency.values:
        raise DomainError("Choose how urgent the tests are.", field="urgency")
    referrer = referrer.strip()
    if encounter is not None:
        policy.require(actor, "clinical.write", encounter)
        if encounter.patient_id != patient.pk:
            raise DomainError("The consultation is another patient's.", field="encounter")
        if encounter.status != "open":
            raise Conflict("The consultation is signed: order from a new one.")
        source, doctor = OrderSource.CONSULTATION, actor.user
    else:
        doctor = actor.user if Role.DOCTOR in actor.roles else None
        if doctor is None and not referrer:
            raise DomainError(
                "Name the doctor who prescribed the tests (from the outside prescription).",
                field="referrer",
            )
        source = OrderSource.DIRECT
    chosen = _checked_tests(clinic, tests)
    order = LabOrder.objects.create(
        clinic=clinic,
        number=numbers.take(clinic, numbers.ORDER),
        patient=patient,
        encounter=encounter,
        source=source,
        ordering_doctor=doctor,
        referrer=referrer[:120],
        urgency=urgency,
        clinical_note=clinical_note.strip()[:500],
        ordered_by=actor.user,
    )
    for test in chosen:
        # One save each: billing charges each ordered test as it is created.
        OrderedTest.objects.create(clinic=clinic, order=order, test=test)
    return order


@transaction.atomic
def cancel(*, actor: Actor, ordered_test: OrderedTest, reason: str) -> OrderedTest:
    """Cancel a test not yet collected; its unbilled charge is voided (a billed one stays
    for the cashier to credit)."""
    clinic = policy.require(actor, "lab.order")
    row = OrderedTest.objects.for_clinic(clinic).select_for_update().get(pk=ordered_test.pk)
    doctor_only = Role.DOCTOR in actor.roles and not actor.roles & {Role.MANAGER, Role.ADMIN}
    if doctor_only and row.order.ordering_doctor_id != actor.user.pk:
        raise DomainError("Only the doctor who ordered a test may cancel it.")
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the test is cancelled.", field="reason")
    if row.status not in CANCELLABLE:
        raise Conflict(
            f"{row.test.name} is {row.get_status_display().lower()}: "
            "only a test not yet collected can be cancelled."
        )
    row.status, row.cancel_reason = TestStatus.CANCELLED, reason[:200]
    row.cancelled_at, row.cancelled_by = timezone.now(), actor.user
    row.save(update_fields=["status", "cancel_reason", "cancelled_at", "cancelled_by"])
    return row
