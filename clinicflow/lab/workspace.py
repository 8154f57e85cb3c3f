"""What a doctor sees of the lab wherever they are: the "Results" card of their dashboard
(their orders still waiting for results, and results released to them lately or not yet
read), and the red banner of their unacknowledged critical values on every page (one indexed
query), which also appears live when a critical value is told to them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from clinicflow.core import banners, dashboards
from clinicflow.core.actor import Actor
from clinicflow.core.roles import Role
from clinicflow.lab.models import (
    OPEN_STATUSES,
    RELEASED_STATUSES,
    CriticalAlert,
    LabOrder,
    OrderedTest,
    Result,
    ResultStatus,
)
from clinicflow.notifications import notices

#: Rows each list of the card shows; the banner's alerts.
CARD_ROWS = 5
BANNER_ROWS = 5
RECENT = timedelta(hours=24)


def pending_orders(actor: Actor) -> Any:
    """The doctor's orders with a test still in the lab's hands (not yet verified)."""
    waiting = OrderedTest.objects.filter(order=OuterRef("pk"), status__in=OPEN_STATUSES)
    return (
        LabOrder.objects.for_clinic(actor.clinic)
        .filter(ordering_doctor=actor.user)
        .filter(Exists(waiting))
        .select_related("patient")
        .order_by("-ordered_at")
    )


def _unread_releases(actor: Actor) -> tuple[list[int], list[int]]:
    """The tests (released) and results (amended) the doctor's unread lab notices are about,
    read from the notices' keys (``alerts.released`` and ``alerts.amended`` write them)."""
    keys = notices.inbox(actor).filter(kind="lab.result", read_at__isnull=True)
    tests: list[int] = []
    results: list[int] = []
    for key in keys.values_list("key", flat=True)[:100]:
        kind, _sep, pk = key.partition(":")
        if pk.isdigit():
            (tests if kind == "lab.released" else results).append(int(pk))
    return tests, results


def recently_released(actor: Actor) -> Any:
    """Tests of the doctor's orders verified or amended in the last day, or whose notice is
    still unread, latest first."""
    since = timezone.now() - RECENT
    tests, results = _unread_releases(actor)
    amended = Result.objects.filter(ordered_test=OuterRef("pk"), status=ResultStatus.AMENDED)
    recent_amendment = Exists(amended.filter(entered_at__gte=since))
    unread_amendment = Exists(amended.filter(pk__in=results))
    return (
        OrderedTest.objects.for_clinic(actor.clinic)
        .filter(order__ordering_doctor=actor.user, status__in=RELEASED_STATUSES)
        .filter(Q(verified_at__gte=since) | Q(pk__in=tests) | recent_amendment | unread_amendment)
        .select_related("test", "order__patient")
        .order_by("-verified_at")
    )


def results_card(actor: Actor) -> dashboards.Card:
    pending = pending_orders(actor)
    return dashboards.Card(
        title=gettext_lazy("Results"),
        value=pending.count(),
        note=gettext_lazy("My orders waiting for results."),
        icon="bi-clipboard2-pulse",
        key="lab.results",
        include="lab/_results_card.html",
        detail={
            "pending": list(pending[:CARD_ROWS]),
            "released": list(recently_released(actor)[:CARD_ROWS]),
        },
    )


def _open_alerts(actor: Actor) -> QuerySet[CriticalAlert]:
    return CriticalAlert.objects.filter(
        clinic=actor.clinic, acknowledged_at__isnull=True, doctor=actor.user
    )


def open_alerts_of(actor: Actor) -> list[CriticalAlert]:
    """The doctor's unacknowledged critical values, newest first (one query on the open
    alerts' partial index)."""
    return list(
        _open_alerts(actor)
        .select_related("patient", "result__parameter")
        .order_by("-raised_at")[: BANNER_ROWS + 1]
    )


def critical_banner(actor: Actor) -> banners.Banner:
    """Always drawn for a doctor (hidden while there is nothing), so that a critical value
    told live can show it at once. It runs on every page a doctor opens, and most have
    nothing to show: a bare EXISTS on the open alerts' index first (a third of the CPU of
    building the joined read of alerts, results, parameters and patients), the alerts only
    when there are some."""
    alerts = open_alerts_of(actor) if _open_alerts(actor).exists() else []
    return banners.Banner(
        "lab/_critical_banner.html",
        {"alerts": alerts[:BANNER_ROWS], "more": len(alerts) > BANNER_ROWS},
    )


def register() -> None:
    dashboards.register_card("lab.results", results_card, roles={Role.DOCTOR}, order=25)
    banners.register_banner("lab.critical", critical_banner, roles={Role.DOCTOR})
