"""A patient's values of one parameter over time: a chart with the reference band each value
was flagged against drawn behind it, and the table of the same values. One indexed query for
the values (the trend index: patient, parameter, collected_at); the read is audited.

Ten years of a monthly test is 120 rows and more, each drawn twice (a point and a table row):
each row's stored range is read once, and the table's rows are drawn in Python
(``lab_results.trend_rows``) rather than by the template's loop, where the page spent most
of its time."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import TextField
from django.db.models.functions import Cast
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.recorder import record
from clinicflow.core.models import AuditAction
from clinicflow.lab import chart, selectors
from clinicflow.lab.models import CRITICAL_FLAGS, Parameter, shown_value
from clinicflow.lab.ranges import AppliedRange
from clinicflow.patients.models import Patient

VIEW = "lab.view"
#: The newest values drawn (ten years of a monthly test is 120).
TREND_LIMIT = 500


def _text(number: Decimal | None) -> str | None:
    """A decimal as written (no float on the way, no trailing zeros)."""
    return None if number is None else f"{number.normalize():f}"


#: What a row of the trend holds of its result (``selectors.trend`` reads no more); the
#: applied range last, read as its text (``trend_rows`` decodes each distinct one once).
TREND_FIELDS = (
    "collected_at",
    "value",
    "text",
    "flag",
    "delta_flagged",
    "previous_value",
    "outside_lab",
)


@dataclass(frozen=True, slots=True)
class TrendRow:
    """A released value as the trend draws it (what a ``Result`` says of it: ``display``,
    ``is_critical``, as ``flag_badge`` reads them), with the range it was flagged against as
    it stood then (None: it had none). Plain rows, not model instances: ten years of a
    monthly test are 120 rows and more, and building a model for each cost a tenth of the
    page."""

    collected_at: datetime
    value: Decimal | None
    text: str
    flag: str
    delta_flagged: bool
    previous_value: Decimal | None
    outside_lab: str
    applied: AppliedRange | None

    @property
    def display(self) -> str:
        return shown_value(self.value, self.text)

    @property
    def is_critical(self) -> bool:
        return self.flag in CRITICAL_FLAGS


def trend_rows(values: Iterable[tuple[Any, ...]]) -> list[TrendRow]:
    """Rows of ``TREND_FIELDS`` and the stored range, each range read once: a parameter's
    results mostly share one, decoded once for all of them. The range comes as the
    database's text of it (the trend reads it so) or as its dict."""
    read: dict[Any, AppliedRange | None] = {}
    rows = []
    for collected_at, value, text, flag, delta_flagged, previous_value, outside, stored in values:
        applied = None
        if isinstance(stored, str):
            if stored not in read:
                decoded = json.loads(stored)
                read[stored] = AppliedRange.from_dict(decoded) if decoded else None
            applied = read[stored]
        elif stored:
            try:
                key: Any = tuple(sorted(stored.items()))
                hash(key)
            except (AttributeError, TypeError):  # not the flat dict as_dict() writes
                key = None
            applied = read.get(key) if key is not None else None
            if applied is None:
                applied = AppliedRange.from_dict(stored)
                if key is not None:
                    read[key] = applied
        rows.append(
            TrendRow(
                collected_at, value, text, flag, delta_flagged, previous_value, outside, applied
            )
        )
    return rows


def points_of(rows: list[TrendRow]) -> list[dict[str, Any]]:
    """What the chart draws: each value, its flag and the band (low–high) applied to it."""
    return [
        {
            "at": row.collected_at.isoformat(),
            "value": _text(row.value),
            "flag": row.flag,
            "low": _text(row.applied.low) if row.applied else None,
            "high": _text(row.applied.high) if row.applied else None,
        }
        for row in rows
    ]


def parameters_coded(clinic: Any, code: str) -> list[Parameter]:
    """The clinic's parameters of this code, newest first (a trend follows a test across
    catalogue versions), with what a trend page prints of them."""
    return list(
        Parameter.objects.for_clinic(clinic)
        .filter(code=code)
        .order_by("-pk")
        .only("pk", "name", "unit_label")
    )


def trend_of(patient: Any, parameters: list[Parameter]) -> list[TrendRow]:
    """The patient's released values of these parameters, oldest first: the newest
    ``TREND_LIMIT`` of them."""
    values = selectors.trend(patient.pk, [p.pk for p in parameters]).filter(
        clinic=patient.clinic_id
    )
    newest_first = values.reverse().values_list(
        *TREND_FIELDS, Cast("applied_range", output_field=TextField())
    )
    return trend_rows(list(newest_first[:TREND_LIMIT])[::-1])


@requires(VIEW)
def trend(request: HttpRequest, patient: Any, code: str) -> HttpResponse:
    actor = actor_of(request)
    found: Patient = access_object(
        actor, VIEW, Patient.objects.select_related("clinic"), pk=patient
    )
    parameters = parameters_coded(found.clinic, code)
    if not parameters:
        raise Http404
    rows = trend_of(found, parameters)
    record(
        AuditAction.VIEW,
        obj=found,
        changes={"part": "lab trend", "parameter": code, "results": len(rows)},
    )
    return render(
        request,
        "lab/trend.html",
        {
            "patient": found,
            "parameter": parameters[0],
            "rows": rows[::-1],
            "points": points_of(rows),
            "limited": len(rows) == TREND_LIMIT,
            "today": timezone.localdate(),
        },
    )


@requires(VIEW)
def results_section(request: HttpRequest, patient: Any) -> HttpResponse:
    """The chart's Results section on its own (what the chart shows, for a page that
    refreshes it in place): the latest released value of each parameter."""
    actor = actor_of(request)
    found: Patient = access_object(
        actor, VIEW, Patient.objects.select_related("clinic"), pk=patient
    )
    panel = chart.results_panel(found, actor)
    if panel is None:
        return render(request, "lab/_no_results.html", {"patient": found})
    return render(request, panel.template, {"panel": panel.context})
