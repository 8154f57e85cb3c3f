"""The lab on the patient's chart: orders and released results on the timeline, and the
"Results" panel with the latest released value of each parameter, each linking to its trend.
Each source is a bounded number of queries, whatever the years of results behind it."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.recorder import record
from clinicflow.core.models import AuditAction
from clinicflow.lab.models import (
    RELEASED_STATUSES,
    Flag,
    LabOrder,
    OrderedTest,
    Parameter,
    Result,
    TestStatus,
)
from clinicflow.lab.selectors import RELEASED
from clinicflow.patients import panels, timeline
from clinicflow.patients.models import Patient
from clinicflow.patients.timeline import TimelineEntry

#: At most this many parameters in the panel (a patient's catalogue of tests is far smaller).
PANEL_LIMIT = 60
#: What the chart's and the consultation's panels print of each latest result, and of its
#: parameter.
PANEL_FIELDS = (
    "clinic",
    "parameter",
    "collected_at",
    "outside_lab",
    "value",
    "text",
    "flag",
    "status",
    "delta_flagged",
    "previous_value",
)
PANEL_PARAMETER_FIELDS = ("code", "name", "unit_label", "decimals", "order")


@cache
def _latest_sql() -> tuple[str, list[str]]:
    """The latest values' query, and the parameter's fields in the order it reads them.

    For each parameter of the clinic's catalogue (a few hundred at most), its newest released
    result is one short backward scan of the trend index (patient, parameter, collected_at);
    those results are read with what the panels print of their parameters. Written out rather
    than built by the ORM: building and compiling its nested subqueries cost the server more
    than the database's whole work."""
    quote = connection.ops.quote_name
    results, parameters = quote(Result._meta.db_table), quote(Parameter._meta.db_table)
    read = [f.attname for f in Result._meta.concrete_fields if f.name in ("id", *PANEL_FIELDS)]
    of_parameter = [
        f.attname for f in Parameter._meta.concrete_fields if f.name in PANEL_PARAMETER_FIELDS
    ]
    columns = ", ".join(
        [f"r.{quote(name)}" for name in read]
        + [f"p.{quote(name)} AS {quote('parameter_' + name)}" for name in of_parameter]
    )
    released = ", ".join(["%s"] * len(RELEASED))
    order = quote("order")
    sql = (
        f"SELECT {columns} FROM {results} r JOIN {parameters} p ON p.id = r.parameter_id "  # noqa: S608  (our own tables and columns; values are parameters)
        "WHERE r.clinic_id = %s AND r.id IN ("
        f"SELECT (SELECT n.id FROM {results} n WHERE n.patient_id = %s "
        f"AND n.parameter_id = c.id AND n.status IN ({released}) "
        "ORDER BY n.collected_at DESC, n.id DESC LIMIT 1) "
        f"FROM {parameters} c WHERE c.clinic_id = %s) "
        f"ORDER BY r.collected_at DESC, p.{order}, r.id LIMIT %s"
    )
    return sql, of_parameter


def latest_values(patient: Any, limit: int = PANEL_LIMIT) -> list[Result]:
    """The latest released result of each parameter the patient has had, newest first (one
    query), each with its parameter (only what the panels print of them, the rest read if
    asked for). Versions of a parameter sharing a code count as one.

    Ranking all of a patient's results instead (a window over ten years of monthly panels,
    thousands of rows) made the database sort them all on every read."""
    sql, of_parameter = _latest_sql()
    clinic_id = Result._meta.get_field("clinic").get_db_prep_value(patient.clinic_id, connection)
    patient_id = Result._meta.get_field("patient").get_db_prep_value(patient.pk, connection)
    params = [clinic_id, patient_id, *RELEASED, clinic_id, limit * 2]
    latest: dict[str, Result] = {}
    for row in Result.objects.raw(sql, params):
        parameter = Parameter.from_db(
            row._state.db,
            ["id", *of_parameter],
            [row.parameter_id, *(getattr(row, f"parameter_{name}") for name in of_parameter)],
        )
        Result.parameter.field.set_cached_value(row, parameter)
        latest.setdefault(parameter.code, row)
    return list(latest.values())[:limit]


def audit_results_read(patient: Any, rows: list[Result], part: str) -> None:
    if rows:
        record(
            AuditAction.VIEW,
            obj=patient,
            changes={"part": part, "results": len(rows)},
        )


def results_panel(patient: Patient, actor: Actor) -> panels.Panel | None:
    """Only for those who may read results; nothing when the patient has none."""
    if not policy.allows(actor, "lab.view"):
        return None
    rows = latest_values(patient)
    if not rows:
        return None
    audit_results_read(patient, rows, "latest lab results")
    return panels.Panel("lab/_results_panel.html", {"patient": patient, "results": rows})


def order_entries(patient: Patient, limit: int) -> Iterable[TimelineEntry]:
    """Each order as it was placed, with its tests (two queries)."""
    rows = (
        LabOrder.objects.for_clinic(patient.clinic)
        .filter(patient=patient)
        .select_related("ordering_doctor")
        .prefetch_related(
            Prefetch(
                "tests",
                OrderedTest.objects.for_clinic(patient.clinic)
                .select_related("test")
                .order_by("pk"),
            )
        )
        .order_by("-ordered_at")[:limit]
    )
    for order in rows:
        tests = ", ".join(t.test.name for t in order.tests.all())
        by = order.ordering_doctor or order.referrer
        yield TimelineEntry(
            order.ordered_at,
            "lab_order",
            _("Lab order %(number)s") % {"number": order.number},
            f"{tests} · {order.get_urgency_display()}" + (f" · {by}" if by else ""),
            "bi-droplet",
            reverse("lab:order", args=[order.pk]),
        )


def released_entries(patient: Patient, limit: int) -> Iterable[TimelineEntry]:
    """Each test whose results were released, with how many of them are flagged (one
    query)."""
    flagged = Q(results__status__in=RELEASED) & ~Q(results__flag=Flag.NORMAL)
    rows = (
        OrderedTest.objects.for_clinic(patient.clinic)
        .filter(order__patient=patient, status__in=RELEASED_STATUSES, verified_at__isnull=False)
        .select_related("test")
        .annotate(flags=Count("results", filter=flagged))
        .order_by("-verified_at")[:limit]
    )
    for row in rows:
        detail = (
            ngettext("%(n)d result flagged", "%(n)d results flagged", row.flags) % {"n": row.flags}
            if row.flags
            else _("all within range")
        )
        amended = row.status == TestStatus.AMENDED
        yield TimelineEntry(
            row.verified_at,
            "lab_result",
            (_("Results amended: %(test)s") if amended else _("Results: %(test)s"))
            % {"test": row.test.name},
            detail,
            "bi-clipboard2-pulse",
            reverse("lab:order", args=[row.order_id]),
        )


def register() -> None:
    timeline.register_source("lab.orders", order_entries)
    timeline.register_source("lab.results", released_entries)
    panels.register_panel("lab.results", results_panel)
