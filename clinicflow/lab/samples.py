"""Samples: collected (one tube per sample type and container of the tests ordered, each with
its accession number) at the time the collector says it was taken, received in the lab, or
rejected with a reason, which sends its tests back to be collected again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.lab import numbers
from clinicflow.lab.models import (
    LabOrder,
    OrderedTest,
    RejectionReason,
    Result,
    ResultStatus,
    Sample,
    SampleStatus,
    TestStatus,
)

#: How far ahead of the server's clock a collection time may be (clocks of phones and PCs).
CLOCK_SKEW = timedelta(minutes=2)
#: A sample may be drawn before its order is keyed in (at the bedside, in an emergency), but
#: not a day before: that is a slip of the date.
DRAWN_BEFORE_ORDER = timedelta(hours=12)
TO_COLLECT = (TestStatus.ORDERED, TestStatus.REJECTED)


def _check_collected_at(order: LabOrder, collected_at: datetime | None) -> datetime:
    if collected_at is None:
        raise DomainError("Enter when the sample was taken.", field="collected_at")
    if timezone.is_naive(collected_at):
        raise DomainError("The collection time needs its time zone.", field="collected_at")
    if collected_at > timezone.now() + CLOCK_SKEW:
        raise DomainError("The collection time is in the future.", field="collected_at")
    if collected_at < order.ordered_at - DRAWN_BEFORE_ORDER:
        raise DomainError(
            "The collection time is more than 12 hours before the tests were ordered.",
            field="collected_at",
        )
    return collected_at


@transaction.atomic
def collect(
    *,
    actor: Actor,
    order: LabOrder,
    collected_at: datetime | None,
    tests: Sequence[OrderedTest] | None = None,
) -> list[Sample]:
    """Take the samples for ``tests`` of ``order`` (all still to collect when None): one
    sample per sample type and container, each with the next accession number."""
    clinic = policy.require(actor, "lab.collect")
    order = LabOrder.objects.for_clinic(clinic).select_for_update().get(pk=order.pk)
    collected_at = _check_collected_at(order, collected_at)
    waiting = OrderedTest.objects.for_clinic(clinic).filter(order=order, status__in=TO_COLLECT)
    if tests is not None:
        waiting = waiting.filter(pk__in=[t.pk for t in tests])
    rows = list(waiting.select_related("test").select_for_update(of=("self",)).order_by("pk"))
    if not rows:
        raise Conflict("Nothing of this order is waiting to be collected.")
    groups: dict[tuple[str, str], list[OrderedTest]] = {}
    for row in rows:
        groups.setdefault((row.test.sample_type, row.test.container), []).append(row)
    samples = []
    for (sample_type, container), members in groups.items():
        sample = Sample.objects.create(
            clinic=clinic,
            order=order,
            accession=numbers.take(clinic, numbers.SAMPLE),
            sample_type=sample_type,
            container=container,
            collected_at=collected_at,
            collected_by=actor.user,
        )
        for row in members:
            row.sample, row.status = sample, TestStatus.COLLECTED
            row.save(update_fields=["sample", "status"])
        samples.append(sample)
    return samples


def label_printed(*, actor: Actor, sample: Sample) -> Sample:
    """Note the first time a sample's label was printed (kept apart from its collection)."""
    clinic = policy.require(actor, "lab.collect")
    updated = Sample.objects.for_clinic(clinic).filter(pk=sample.pk, label_printed_at=None)
    if updated.update(label_printed_at=timezone.now()):
        sample.refresh_from_db(fields=["label_printed_at"])
    return sample


def _locked(clinic: Any, sample: Sample) -> Sample:
    return Sample.objects.for_clinic(clinic).select_for_update().get(pk=sample.pk)


def mark_received(clinic: Any, sample: Sample, by: Any) -> Sample:
    """Receive a collected sample and its tests (inside a caller's transaction)."""
    sample.status, sample.received_at, sample.received_by = (
        SampleStatus.RECEIVED,
        timezone.now(),
        by,
    )
    sample.save(update_fields=["status", "received_at", "received_by"])
    OrderedTest.objects.for_clinic(clinic).filter(
        sample=sample, status=TestStatus.COLLECTED
    ).update(status=TestStatus.RECEIVED)
    return sample


@transaction.atomic
def receive(*, actor: Actor, sample: Sample) -> Sample:
    clinic = policy.require(actor, "lab.work")
    sample = _locked(clinic, sample)
    if sample.status != SampleStatus.COLLECTED:
        raise Conflict(f"Sample {sample.accession} is {sample.get_status_display().lower()}.")
    return mark_received(clinic, sample, actor.user)


@transaction.atomic
def reject(*, actor: Actor, sample: Sample, reason: str, note: str = "") -> Sample:
    """Reject a sample the lab cannot use; its tests wait to be collected again."""
    clinic = policy.require(actor, "lab.work")
    if reason not in RejectionReason.values:
        raise DomainError("Choose why the sample is rejected.", field="reason")
    sample = _locked(clinic, sample)
    if sample.status == SampleStatus.REJECTED:
        raise Conflict(f"Sample {sample.accession} is already rejected.")
    tests = OrderedTest.objects.for_clinic(clinic).filter(sample=sample)
    if tests.filter(status__in=[TestStatus.VERIFIED, TestStatus.AMENDED]).exists():
        raise Conflict("Results from this sample are verified: amend them instead.")
    sample.status, sample.rejection_reason, sample.rejection_note = (
        SampleStatus.REJECTED,
        reason,
        note.strip()[:200],
    )
    sample.rejected_at, sample.rejected_by = timezone.now(), actor.user
    sample.save(
        update_fields=["status", "rejection_reason", "rejection_note", "rejected_at", "rejected_by"]
    )
    tests.exclude(status=TestStatus.CANCELLED).update(status=TestStatus.REJECTED)
    # Values entered from the rejected sample are not results: the next sample's replace them.
    Result.objects.for_clinic(clinic).filter(
        ordered_test__sample=sample, status=ResultStatus.ENTERED
    ).update(status=ResultStatus.SUPERSEDED)
    return sample
