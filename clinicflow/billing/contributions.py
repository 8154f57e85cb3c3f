"""What billing adds elsewhere: the Billing area of the sidebar, the cashier's "waiting to
pay" and the manager's "revenue today" cards, the patient's balance on the chart, and
invoices and payments on the chart's timeline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinicflow.billing import balances, messages, reports, selectors
from clinicflow.billing.models import (
    Charge,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    LedgerEntry,
    Method,
    Payment,
    Refund,
)
from clinicflow.billing.money import ZERO, rounded
from clinicflow.core import dashboards, navigation, policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import Conflict
from clinicflow.core.roles import Role
from clinicflow.frontdesk import arrival_notes
from clinicflow.frontdesk.models import QueueEntry
from clinicflow.patients import merging, panels, timeline
from clinicflow.patients.models import Patient
from clinicflow.patients.timeline import TimelineEntry

# ---------------------------------------------------------------- dashboards


def waiting_card(actor: Actor) -> dashboards.Card:
    assert actor.clinic is not None
    return dashboards.Card(
        title=gettext_lazy("Waiting to pay"),
        value=selectors.waiting_count(actor.clinic),
        note=gettext_lazy("Patients with charges not yet invoiced."),
        url=reverse("billing:desk"),
        icon="bi-cash-coin",
        key="billing.waiting_to_pay",
    )


def revenue_card(actor: Actor) -> dashboards.Card:
    """Today's takings at the counters and gateways, less refunds (the ledger's cash)."""
    clinic = actor.clinic
    assert clinic is not None
    by_method = balances.takings(clinic, clinic.local_date())
    total = sum(by_method.values(), ZERO)
    labels = dict(Method.choices)
    note = " · ".join(f"{labels.get(m, m)} {rounded(amount)}" for m, amount in by_method.items())
    return dashboards.Card(
        title=gettext_lazy("Revenue today"),
        value=f"{rounded(total)} {clinic.currency}",
        note=note or _("Nothing taken yet today."),
        url=reverse("billing:desk"),
        icon="bi-cash-stack",
        key="billing.revenue_today",
    )


#: The days the manager's takings chart covers, today included.
CHART_DAYS = 14
CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 140, 40, 2


def takings_chart_card(actor: Actor) -> dashboards.Card:
    """The last fortnight's net takings per day (one query), as bars drawn on the server."""
    clinic = actor.clinic
    assert clinic is not None
    today = clinic.local_date()
    period = reports.Period(today - timedelta(days=CHART_DAYS - 1), today)
    days = reports.takings_by_day(clinic, period, every_day=True)
    highest = max((d.net for d in days), default=ZERO)
    step = CHART_WIDTH / CHART_DAYS
    bars = []
    for n, d in enumerate(days):
        height = round(float(d.net / highest) * CHART_HEIGHT, 1) if highest > 0 and d.net > 0 else 0
        bars.append(
            {"day": d.day, "amount": d.net, "x": round(n * step, 1),
             "y": round(CHART_HEIGHT - height, 1), "height": height}
        )  # fmt: skip
    total = sum((d.net for d in days), ZERO)
    return dashboards.Card(
        title=gettext_lazy("Takings, last 14 days"),
        value=f"{rounded(total)} {clinic.currency}",
        url=reverse("billing:report_takings"),
        icon="bi-bar-chart",
        key="billing.takings_chart",
        include="billing/_takings_chart.html",
        detail={
            "bars": bars,
            "width": CHART_WIDTH,
            "height": CHART_HEIGHT,
            "bar_width": round(step - BAR_GAP, 1),
            "currency": clinic.currency,
        },
    )


# ---------------------------------------------------------------- the chart


def balance_panel(patient: Patient, actor: Actor) -> panels.Panel | None:
    """The balance and the latest invoices, for those who may see a patient's bill."""
    if not policy.allows(actor, "billing.balances"):
        return None
    clinic = patient.clinic
    recent = selectors.recent_invoices(clinic, patient)
    balance = balances.of_patient(clinic, patient.pk)
    if not recent and not balance.owed and not balance.credit:
        return None
    return panels.Panel(
        "billing/_balance_panel.html",
        {"balance": balance, "invoices": recent, "patient": patient, "currency": clinic.currency},
    )


def invoice_entries(patient: Patient, limit: int) -> Iterable[TimelineEntry]:
    rows = (
        Invoice.objects.for_clinic(patient.clinic)
        .filter(patient=patient, status=InvoiceStatus.ISSUED)
        .order_by("-issued_at", "-pk")[:limit]
    )
    for row in rows:
        assert row.issued_at is not None
        title = (
            _("Credit note %(number)s")
            if row.kind == InvoiceKind.CREDIT_NOTE
            else _("Invoice %(number)s")
        ) % {"number": row.number}
        yield TimelineEntry(
            row.issued_at,
            "invoice",
            title,
            _("Total %(total)s") % {"total": row.total},
            "bi-receipt",
            reverse("billing:invoice", args=[row.pk]),
        )


def payment_entries(patient: Patient, limit: int) -> Iterable[TimelineEntry]:
    rows = (
        Payment.objects.for_clinic(patient.clinic)
        .filter(patient=patient)
        .order_by("-received_at", "-pk")[:limit]
    )
    for row in rows:
        yield TimelineEntry(
            row.received_at,
            "payment",
            _("Paid %(amount)s") % {"amount": row.amount},
            _("Receipt %(number)s") % {"number": row.number},
            "bi-cash-coin",
            reverse("billing:receipt_print", args=[row.pk]),
        )


NAVIGATION = [
    navigation.Entry(gettext_lazy("Cash desk"), "billing:desk", "bi-cash-coin", "billing", 10),
    navigation.Entry(gettext_lazy("My shift"), "billing:shift", "bi-clock-history", "billing", 20),
    navigation.Entry(
        gettext_lazy("Shifts to sign off"), "billing:review", "bi-clipboard-check", "billing", 30
    ),
    navigation.Entry(gettext_lazy("Price list"), "billing:prices", "bi-tags", "billing", 40),
    navigation.Entry(
        gettext_lazy("Billing reports"), "billing:reports", "bi-bar-chart", "billing", 50
    ),
]


def move_bills(duplicate: Patient, survivor: Patient) -> int:
    """A merge moves the duplicate's unbilled charges (and discarded drafts); once it has
    bills, its invoices, payments and ledger rows cannot move (they never change), so the
    merge is refused: the bills are settled or credited on the record that has them."""
    clinic = duplicate.clinic
    billed = (
        Invoice.objects.for_clinic(clinic).filter(patient=duplicate).exclude(status="void").exists()
        or LedgerEntry.objects.for_clinic(clinic).filter(patient=duplicate).exists()
        or Refund.objects.for_clinic(clinic).filter(patient=duplicate).exists()
    )
    if billed:
        raise Conflict(
            _("%(mrn)s has invoices or payments; they stay on that record, so it cannot be merged.")
            % {"mrn": duplicate.mrn}
        )
    return merging.move_rows(Charge)(duplicate, survivor) + merging.move_rows(Invoice)(
        duplicate, survivor
    )


def balance_at_arrival(entry: QueueEntry, actor: Actor) -> str | None:
    """The desk is told, as the patient arrives, of a balance still owed on issued bills."""
    if not policy.allows(actor, "billing.balances"):
        return None
    clinic = entry.clinic
    owed = balances.of_patient(clinic, entry.patient_id).owed
    if owed <= 0:
        return None
    return _("This patient still owes %(amount)s %(currency)s on earlier bills.") % {
        "amount": owed,
        "currency": clinic.currency,
    }


def register() -> None:
    messages.register()
    arrival_notes.register_note("billing.balance", balance_at_arrival)
    merging.register_mover("bills", move_bills)
    dashboards.register_card("billing.waiting_to_pay", waiting_card, roles={Role.CASHIER}, order=60)
    dashboards.register_card(
        "billing.revenue_today", revenue_card, roles={Role.MANAGER, Role.ADMIN}, order=40
    )
    dashboards.register_card(
        "billing.takings_chart", takings_chart_card, roles={Role.MANAGER, Role.ADMIN}, order=41
    )
    panels.register_panel("billing.balance", balance_panel)
    timeline.register_source("billing.invoices", invoice_entries)
    timeline.register_source("billing.payments", payment_entries)
    navigation.register(*NAVIGATION)
