"""What the lab has to do, as lists: orders waiting for their samples, samples to receive,
tests to result and to verify, tests past their turnaround. Each is a queryset the collection
list, the worklist, the dashboard and its cards share; each list is read in a bounded number
of queries (related rows joined or prefetched), most urgent first, then oldest."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from clinicflow.lab.models import (
    OPEN_STATUSES,
    LabOrder,
    LabTest,
    OrderedTest,
    SampleStatus,
    TestStatus,
    Urgency,
)
from clinicflow.lab.samples import TO_COLLECT


def _urgency_rank(field: str) -> Case:
    """STAT first, then urgent, then routine."""
    return Case(
        When(**{field: Urgency.STAT}, then=Value(0)),
        When(**{field: Urgency.URGENT}, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def _ranked_tests(queryset: QuerySet[OrderedTest]) -> QuerySet[OrderedTest]:
    return queryset.annotate(urgency_rank=_urgency_rank("order__urgency")).order_by(
        "urgency_rank", "order__ordered_at", "pk"
    )


# ---------------------------------------------------------------- collection


def tests_to_collect(clinic: Any) -> QuerySet[OrderedTest]:
    """Tests waiting for a sample: never collected, or their sample was rejected."""
    return OrderedTest.objects.for_clinic(clinic).filter(status__in=TO_COLLECT)


def orders_to_collect(clinic: Any) -> QuerySet[LabOrder]:
    """Orders with tests waiting for a sample, each with those tests (two queries)."""
    waiting = tests_to_collect(clinic).select_related("test").order_by("pk")
    return (
        LabOrder.objects.for_clinic(clinic)
        .filter(pk__in=tests_to_collect(clinic).values("order_id"))
        .select_related("patient", "ordering_doctor")
        .prefetch_related(Prefetch("tests", waiting, to_attr="waiting"))
        .annotate(urgency_rank=_urgency_rank("urgency"))
        .order_by("urgency_rank", "ordered_at", "pk")
    )


# ---------------------------------------------------------------- the bench


class Stage:
    """The worklist's filters by what is to be done next."""

    RECEIVE = "receive"
    RESULT = "result"
    VERIFY = "verify"
    ALL = "all"

    CHOICES = (
        (ALL, "Everything open"),
        (RECEIVE, "To receive"),
        (RESULT, "To result"),
        (VERIFY, "To verify"),
    )


_STAGE_FILTERS = {
    Stage.RECEIVE: Q(status=TestStatus.COLLECTED, sample__status=SampleStatus.COLLECTED),
    # Entering from a collected sample receives it, so both wait for results.
    Stage.RESULT: Q(status__in=[TestStatus.COLLECTED, TestStatus.RECEIVED]),
    Stage.VERIFY: Q(status=TestStatus.RESULTED),
    Stage.ALL: Q(status__in=[TestStatus.COLLECTED, TestStatus.RECEIVED, TestStatus.RESULTED]),
}


def bench(clinic: Any, stage: str = Stage.ALL, section: Any = None) -> QuerySet[OrderedTest]:
    """Tests at ``stage`` (a ``Stage``), of one section if given, with their order, patient,
    test, section and sample joined: one query for any number of rows."""
    rows = OrderedTest.objects.for_clinic(clinic).filter(_STAGE_FILTERS[stage])
    if section:
        rows = rows.filter(test__section=section)
    return _ranked_tests(
        rows.select_related(
            "order__patient", "test__section", "sample", "outside_report", "resulted_by"
        )
    )


# ---------------------------------------------------------------- turnaround


def turnaround_breaches(clinic: Any, now: datetime | None = None) -> QuerySet[OrderedTest]:
    """Tests still open whose order is older than the test's turnaround.

    A test's deadline is its order's time plus its own minutes; the catalogue has a handful
    of distinct turnarounds, so the deadline is asked as one condition per turnaround (one
    query for them), which every database answers alike."""
    now = now or timezone.now()
    minutes = LabTest.objects.for_clinic(clinic).values_list("turnaround_minutes", flat=True)
    late = Q(pk__in=[])
    for value in set(minutes):
        late |= Q(
            test__turnaround_minutes=value,
            order__ordered_at__lt=now - timedelta(minutes=value),
        )
    return _ranked_tests(
        OrderedTest.objects.for_clinic(clinic)
        .filter(status__in=OPEN_STATUSES)
        .filter(late)
        .select_related("order__patient", "test", "sample")
    )


def due_at(ordered_test: OrderedTest) -> datetime:
    return ordered_test.order.ordered_at + timedelta(minutes=ordered_test.test.turnaround_minutes)
