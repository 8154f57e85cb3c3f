"""A patient's values of one parameter over time: a chart with the reference band each value
was flagged against drawn behind it, and the table of the same values. One indexed query for
the values (the trend index: patient, parameter, collected_at); the read is audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.recorder import record
from clinicflow.core.models import AuditAction
from clinicflow.lab import chart, selectors
from clinicflow.lab.models import Parameter, Result
from clinicflow.lab.ranges import AppliedRange
from clinicflow.patients.models import Patient

VIEW = "lab.view"
#: The newest values drawn (ten years of a monthly test is 120).
TREND_LIMIT = 500


def _text(number: Decimal | None) -> str | None:
    """A decimal as written (no float on the way, no trailing zeros)."""
    return None if number is None else f"{number.normalize():f}"


def _band(row: Result) -> tuple[str | None, str | None]:
    """The normal low and high the value was flagged against, as it stood then."""
    if not row.applied_range:
        return None, None
    applied = AppliedRange.from_dict(row.applied_range)
    return _text(applied.low), _text(applied.high)


def points_of(rows: list[Result]) -> list[dict[str, Any]]:
    """What the chart draws: each value, its flag and the band (low–high) applied to it."""
    points = []
    for row in rows:
        low, high = _band(row)
        points.append(
            {
                "at": row.collected_at.isoformat(),
                "value": _text(row.value),
                "flag": row.flag,
                "low": low,
                "high": high,
            }
        )
    return points


@requires(VIEW)
def trend(request: HttpRequest, patient: Any, code: str) -> HttpResponse:
    actor = actor_of(request)
    found: Patient = access_object(actor, VIEW, Patient.objects.all(), pk=patient)
    parameters = list(Parameter.objects.for_clinic(found.clinic).filter(code=code).order_by("-pk"))
    if not parameters:
        raise Http404
    values = selectors.trend(found.pk, [p.pk for p in parameters]).filter(clinic=found.clinic)
    newest_first = values.reverse()
    rows = list(newest_first[:TREND_LIMIT])[::-1]
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
    found: Patient = access_object(actor, VIEW, Patient.objects.all(), pk=patient)
    panel = chart.results_panel(found, actor)
    if panel is None:
        return render(request, "lab/_no_results.html", {"patient": found})
    return render(request, panel.template, {"panel": panel.context})
