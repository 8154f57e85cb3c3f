"""Reads of the lab that several places share: what a test reports, the orders and results a
person may see, a patient's previous value of a parameter and its trend."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber

from clinicflow.lab.models import (
    LabOrder,
    LabTest,
    OrderedTest,
    PanelMember,
    Parameter,
    Result,
    ResultStatus,
)

#: Results a doctor or patient may read: verified, or amended after verification.
RELEASED = (ResultStatus.VERIFIED, ResultStatus.AMENDED)


def parameters_of(test: LabTest) -> list[Parameter]:
    """What ``test`` reports, in report order: a panel's members' parameters, member by
    member (two queries, whatever the panel's size)."""
    if not test.is_panel:
        tests = [test.pk]
    else:
        tests = list(
            PanelMember.objects.for_clinic(test.clinic_id)
            .filter(panel=test)
            .order_by("order", "pk")
            .values_list("test_id", flat=True)
        )
    position = {pk: i for i, pk in enumerate(tests)}
    rows = (
        Parameter.objects.for_clinic(test.clinic_id)
        .filter(test_id__in=tests)
        .prefetch_related("ranges")
    )
    return sorted(rows, key=lambda p: (position[p.test_id], p.order, p.pk))


def sample_needs(test: LabTest) -> tuple[str, str]:
    """The sample type and container a test is collected in (a panel: its own, as the
    catalogue says; its members share the tube)."""
    return test.sample_type, test.container


def order_detail(clinic: Any) -> QuerySet[LabOrder]:
    """Orders with what their pages show, in a bounded number of queries."""
    return (
        LabOrder.objects.for_clinic(clinic)
        .select_related("patient", "ordering_doctor", "ordered_by", "encounter")
        .prefetch_related(
            Prefetch(
                "tests",
                OrderedTest.objects.for_clinic(clinic)
                .select_related("test", "sample", "outside_report", "resulted_by", "verified_by")
                .order_by("pk"),
            )
        )
    )


def current_results(ordered_test: OrderedTest) -> QuerySet[Result]:
    """A test's results as they stand (amended ones replace what they amend)."""
    return (
        Result.objects.for_clinic(ordered_test.clinic_id)
        .filter(ordered_test=ordered_test)
        .exclude(status=ResultStatus.SUPERSEDED)
        .select_related("parameter", "entered_by", "verified_by", "amends")
    )


def previous_results(
    clinic: Any,
    patient_id: Any,
    parameter_ids: list[Any],
    before: datetime,
    *,
    exclude_test: Any = None,
) -> dict[Any, Result]:
    """The patient's latest released value of each parameter from a sample taken before
    ``before``, by parameter id: what the delta check compares with. One query, a window
    over the trend index's range of each parameter, whatever the number of parameters."""
    rows = Result.objects.for_clinic(clinic).filter(
        patient_id=patient_id,
        parameter_id__in=parameter_ids,
        collected_at__lt=before,
        status__in=RELEASED,
        value__isnull=False,
    )
    if exclude_test is not None:
        rows = rows.exclude(ordered_test_id=exclude_test)
    ranked = rows.annotate(
        newest=Window(
            RowNumber(),
            partition_by=[F("parameter_id")],
            order_by=[F("collected_at").desc(), F("pk").desc()],
        )
    ).filter(newest=1)
    return {row.parameter_id: row for row in ranked.only("parameter_id", "value", "collected_at")}


def trend(patient_id: Any, parameter_ids: list[Any]) -> QuerySet[Result]:
    """A patient's released numeric values of a parameter (all versions of it in the
    catalogue share a code, so the caller names them), oldest first."""
    return (
        Result.objects.filter(
            patient_id=patient_id,
            parameter_id__in=parameter_ids,
            status__in=RELEASED,
            value__isnull=False,
        )
        .order_by("collected_at", "pk")
        .only(
            "value",
            "text",
            "flag",
            "collected_at",
            "applied_range",
            "parameter_id",
            "delta_flagged",
            "previous_value",
            "outside_lab",
        )
    )
