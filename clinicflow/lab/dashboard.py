"""The lab's day at a glance: what waits to be collected, received, resulted and verified,
which tests are past their turnaround, and which critical values nobody has acknowledged,
as figures and the first few of each; and the same figures as cards on the lab technician's,
the nurse's and the manager's dashboards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clinicflow.core import dashboards
from clinicflow.core.access import actor_of, requires
from clinicflow.core.actor import Actor
from clinicflow.core.audit.reads import record_rows_read
from clinicflow.core.roles import Role
from clinicflow.lab import alerts, worklists
from clinicflow.lab.models import OrderedTest

#: How many of each list the dashboard shows.
FIRST = 5


@dataclass(frozen=True)
class Figure:
    """A count, where it leads, and what it counts (a queryset, so the card reads only the
    count and the page the first few)."""

    key: str
    title: str | Promise
    icon: str
    url_name: str
    query: str = ""

    @property
    def url(self) -> str:
        return reverse(self.url_name) + self.query


TO_COLLECT = Figure("lab.to_collect", _("Tests to collect"), "bi-droplet", "lab:collect_list")
TO_RECEIVE = Figure(
    "lab.to_receive", _("Tests to receive"), "bi-inbox", "lab:worklist", "?stage=receive"
)
TO_RESULT = Figure(
    "lab.to_result", _("Tests to result"), "bi-pencil-square", "lab:worklist", "?stage=result"
)
TO_VERIFY = Figure("lab.to_verify", _("Tests to verify"), "bi-patch-check", "lab:to_verify")
LATE = Figure("lab.turnaround", _("Past turnaround"), "bi-alarm", "lab:dashboard", "#late")
CRITICAL = Figure(
    "lab.critical_open", _("Critical values unacknowledged"), "bi-exclamation-octagon",
    "lab:dashboard", "#critical",
)  # fmt: skip


def _rows(figure: Figure, clinic: Any) -> QuerySet[Any]:
    """What ``figure`` counts, for ``clinic``."""
    stage = worklists.Stage
    queries: dict[str, Callable[[], QuerySet[Any]]] = {
        TO_COLLECT.key: lambda: worklists.tests_to_collect(clinic),
        TO_RECEIVE.key: lambda: worklists.bench(clinic, stage.RECEIVE),
        TO_RESULT.key: lambda: worklists.bench(clinic, stage.RESULT),
        TO_VERIFY.key: lambda: worklists.bench(clinic, stage.VERIFY),
        LATE.key: lambda: worklists.turnaround_breaches(clinic),
        CRITICAL.key: lambda: alerts.open_alerts(clinic).select_related(
            "patient", "result__parameter", "result__ordered_test", "doctor"
        ),
    }
    return queries[figure.key]()


def _card(figure: Figure) -> dashboards.CardProvider:
    def provider(actor: Actor) -> dashboards.Card:
        assert actor.clinic is not None
        return dashboards.Card(
            title=figure.title,
            value=_rows(figure, actor.clinic).count(),
            url=figure.url,
            icon=figure.icon,
            key=figure.key,
        )

    return provider


#: Whose dashboard shows which of the lab's figures.
CARDS: list[tuple[Figure, set[Role]]] = [
    (TO_COLLECT, {Role.NURSE}),
    (TO_RECEIVE, {Role.LAB_TECHNICIAN}),
    (TO_RESULT, {Role.LAB_TECHNICIAN}),
    (TO_VERIFY, {Role.LAB_TECHNICIAN}),
    (LATE, {Role.LAB_TECHNICIAN, Role.MANAGER, Role.ADMIN}),
    (CRITICAL, {Role.LAB_TECHNICIAN, Role.MANAGER, Role.ADMIN}),
]


def register_cards() -> None:
    for order, (figure, roles) in enumerate(CARDS, start=110):
        dashboards.register_card(figure.key, _card(figure), roles=roles, order=order)


@dataclass
class Panel:
    figure: Figure
    count: int
    first: list[Any]


@requires("lab.dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    """Each figure with its first few rows: two queries a figure, whatever the lab's size."""
    clinic = actor_of(request).clinic
    panels = []
    for figure in (TO_COLLECT, TO_RECEIVE, TO_RESULT, TO_VERIFY, LATE, CRITICAL):
        rows = _rows(figure, clinic)
        if figure is TO_COLLECT:
            first = list(worklists.orders_to_collect(clinic)[:FIRST])
        else:
            first = list(rows[:FIRST])
        panels.append(Panel(figure, rows.count(), first))
    shown = [row for panel in panels for row in panel.first]
    record_rows_read(OrderedTest, shown, patient_key=_patient_of, part="lab dashboard")
    by_key = {panel.figure.key: panel for panel in panels}
    return render(
        request,
        "lab/dashboard.html",
        {
            "panels": panels,
            "collect": by_key[TO_COLLECT.key],
            "receive": by_key[TO_RECEIVE.key],
            "result": by_key[TO_RESULT.key],
            "verify": by_key[TO_VERIFY.key],
            "late": by_key[LATE.key],
            "critical": by_key[CRITICAL.key],
            "now": timezone.now(),
        },
    )


def _patient_of(row: Any) -> Any:
    """Rows of the dashboard are orders, tests or alerts: each names its patient."""
    if hasattr(row, "patient_id"):
        return row.patient_id
    return row.order.patient_id
