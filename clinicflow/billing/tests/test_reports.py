"""Billing reports: a day of the cash desk (and one forty days before, and an invoice from a
hundred days ago) read back as takings by method, invoiced by service and doctor, the tax
summary, aged balances, refunds, discounts, credit notes, shifts and claims — exact figures,
exports read back, other clinics and other roles kept out, constant queries."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import (
    charges,
    invoices,
    payments,
    prices,
    report_views,
    reports,
    shifts,
)
from clinicflow.billing.models import Payer, PayerKind
from clinicflow.billing.payments import TenderIn
from clinicflow.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

D = Decimal
REPORT_URLS = ["billing:reports"] + [
    f"billing:report_{r.slug}{suffix}"
    for r in report_views.REPORTS
    for suffix in ("", "_csv", "_xlsx")
]


@contextmanager
def days_ago(days: int) -> Iterator[None]:
    """Everything done inside happens ``days`` days back (the ledger's and invoices' times)."""
    then = timezone.now() - timedelta(days=days)
    with mock.patch("django.utils.timezone.now", return_value=then):
        yield


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def read_xlsx(response) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def bill(cashier, patient, *items, doctor=None, discount=None):
    """Charge ``items`` (price items) to ``patient`` and issue the invoice."""
    actor = actor_for(cashier)
    made = [
        charges.add_manual(actor=actor, patient=patient, item=item, performer=doctor)
        for item in items
    ]
    draft = invoices.draft(actor=actor, patient=patient, charge_ids=[c.pk for c in made])
    if discount:
        draft = invoices.set_discount(
            actor=actor, invoice=draft, amount=discount[0], reason=discount[1]
        )
    return invoices.issue(actor=actor, invoice=draft)


def pay(cashier, invoice, **by_method):
    tenders = [
        TenderIn(method, amount, "" if method == "cash" else "TX-1")
        for method, amount in by_method.items()
    ]
    return payments.pay(actor=actor_for(cashier), invoice=invoice, tenders=tenders)


@pytest.fixture
def today(clinic):
    return clinic.local_date()


@pytest.fixture
def ram(register):
    return register(given_name="Ram", family_name="Thapa", phone="9841000002")


@pytest.fixture
def priced(manager, services, today):
    """The services at the same prices since long ago (so bills can be made in the past)."""
    for item, amount in zip(services.values(), ("350", "200", "100"), strict=True):
        prices.set_price(
            actor=actor_for(manager), item=item, amount=amount,
            valid_from=today - timedelta(days=200),
        )  # fmt: skip
    return services


@pytest.fixture
def books(cashier, doctor, billing_patient, ram, priced):
    """A hundred days ago: Ram's registration (100, never paid).

    Forty days ago, on a shift closed 10 short: Sita's dressing (350) paid 100 in cash and
    credited 50 ("Dressing not done"); Ram's deposit of 30 in cash, refunded in cash.

    Today, on an open shift: Sita's two dressings by the doctor and a certificate (700 + 200
    + 26 VAT = 926) paid 500 cash and 426 QR; the certificate credited in full ("Certificate
    not needed"), 200 of it refunded in cash. Ram's registration with 20 off ("Staff
    family"): 80, unpaid."""
    services, actor = priced, actor_for(cashier)
    with days_ago(100):
        old = bill(cashier, ram, services["REG"])
    with days_ago(40):
        shift = shifts.open_shift(actor=actor, opening_float=D("1000"))
        dressing = bill(cashier, billing_patient, services["DRESS"])
        pay(cashier, dressing, cash="100")
        invoices.credit(
            actor=actor, invoice=dressing, reason="Dressing not done",
            lines={dressing.lines.get().pk: "50"},
        )  # fmt: skip
        payments.deposit(actor=actor, patient=ram, tenders=[TenderIn("cash", "30")])
        payments.refund(actor=actor, patient=ram, amount="30", reason="Deposit back")
        shifts.close_shift(
            actor=actor, shift=shift, counted={"1000": 1, "50": 1, "20": 2}, reason="Short"
        )
    shifts.open_shift(actor=actor, opening_float=D("1000"))
    visit = bill(
        cashier, billing_patient, services["DRESS"], services["DRESS"], services["CERT"],
        doctor=doctor,
    )  # fmt: skip
    pay(cashier, visit, cash="500", qr="426")
    certificate = visit.lines.get(description="Medical certificate")
    note = invoices.credit(
        actor=actor, invoice=visit, reason="Certificate not needed", lines={certificate.pk: None}
    )
    payments.refund(actor=actor, patient=billing_patient, amount="200", reason="Cert refund")
    registration = bill(cashier, ram, services["REG"], discount=("20", "Staff family"))
    return {
        "old": old,
        "dressing": dressing,
        "visit": visit,
        "note": note,
        "registration": registration,
    }


def one_day(day) -> reports.Period:
    return reports.Period(day, day)


# ---------------------------------------------------------------- takings


def test_takings_by_method_are_money_in_less_refunds_per_day(books, clinic, today):
    [row] = reports.takings_by_day(clinic, one_day(today))
    assert row.by_method == {"cash": D("300.00"), "qr": D("426.00")}
    assert (row.money_in, row.refunds, row.net) == (D("926.00"), D("200.00"), D("726.00"))
    [before] = reports.takings_by_day(clinic, one_day(today - timedelta(days=40)))
    assert before.by_method == {"cash": D("100.00")}
    assert (before.money_in, before.refunds) == (D("130.00"), D("30.00"))
    both = reports.takings_by_day(clinic, reports.Period(today - timedelta(days=45), today))
    assert [r.day for r in both] == [today - timedelta(days=40), today]
    assert reports.takings_total(both).net == D("826.00")


def test_the_takings_page_and_csv(books, manager, sign_in, today):
    client = sign_in(manager)
    query = {"first": today.isoformat(), "last": today.isoformat()}
    page = client.get(reverse("billing:report_takings"), query)
    assert page.status_code == 200
    assert [c.text for c in page.context["total"]][-3:] == ["926.00", "200.00", "726.00"]
    rows = read_csv(client.get(reverse("billing:report_takings_csv"), query))
    assert rows[0] == [
        "Day", "Cash", "Card", "Bank transfer", "QR / mobile wallet", "Cheque",
        "Money in", "Refunded", "Net takings",
    ]  # fmt: skip
    assert rows[1] == [
        today.isoformat(),
        "300.00",
        "0.00",
        "0.00",
        "426.00",
        "0.00",
        "926.00",
        "200.00",
        "726.00",
    ]
    assert rows[2][0] == "Total"
    assert len(rows) == 3
    sheet = read_xlsx(client.get(reverse("billing:report_takings_xlsx"), query))
    assert sheet[1][1] == 300
    exports = AuditEvent.objects.all_clinics().filter(
        action=AuditAction.EXPORT, object_type="billing.report"
    )
    assert exports.count() == 2


# ---------------------------------------------------------------- invoiced by what


def test_invoiced_by_service_nets_credit_notes(books, clinic, today):
    rows = {r.label: r for r in reports.takings_by(clinic, one_day(today), "service")}
    assert set(rows) == {"Wound dressing", "Medical certificate", "Registration"}
    dressing, certificate, registration = (
        rows["Wound dressing"], rows["Medical certificate"], rows["Registration"],
    )  # fmt: skip
    assert (dressing.lines, dressing.invoiced, dressing.credited, dressing.net) == (
        2, D("700.00"), D("0.00"), D("700.00"),
    )  # fmt: skip
    assert (certificate.tax, certificate.invoiced, certificate.credited, certificate.net) == (
        D("26.00"), D("226.00"), D("226.00"), D("0.00"),
    )  # fmt: skip
    assert (registration.gross, registration.discount, registration.net) == (
        D("100.00"), D("20.00"), D("80.00"),
    )  # fmt: skip
    total = reports.service_total(list(rows.values()))
    assert (total.invoiced, total.credited, total.net) == (D("1006.00"), D("226.00"), D("780.00"))
    # Forty days ago: the dressing, less its 50 credited then.
    [old] = reports.takings_by(clinic, one_day(today - timedelta(days=40)), "service")
    assert (old.label, old.invoiced, old.credited, old.net) == (
        "Wound dressing", D("350.00"), D("50.00"), D("300.00"),
    )  # fmt: skip


def test_invoiced_by_doctor_and_department(books, clinic, today, doctor):
    rows = {r.label: r.net for r in reports.takings_by(clinic, one_day(today), "doctor")}
    assert rows == {doctor.get_full_name(): D("926.00") - D("226.00"), "No doctor named": D("80")}
    [department] = reports.takings_by(clinic, one_day(today), "department")
    assert (department.label, department.net) == ("No department", D("780.00"))


# ---------------------------------------------------------------- tax


def test_tax_summary_is_invoices_less_credit_notes_issued_in_the_period(books, clinic, today):
    rows = {(r.category, r.rate): r for r in reports.tax_summary(clinic, one_day(today))}
    exempt, vat = rows[("exempt", D("0.00"))], rows[("vat", D("13.00"))]
    assert (exempt.invoiced_base, exempt.credited_base, exempt.net_tax) == (
        D("780.00"), D("0.00"), D("0.00"),
    )  # fmt: skip
    assert (vat.invoiced_base, vat.invoiced_tax, vat.credited_base, vat.credited_tax) == (
        D("200.00"), D("26.00"), D("200.00"), D("26.00"),
    )  # fmt: skip
    assert vat.net_tax == 0
    [old] = reports.tax_summary(clinic, one_day(today - timedelta(days=40)))
    assert (old.invoiced_base, old.credited_base, old.net_base) == (
        D("350.00"), D("50.00"), D("300.00"),
    )  # fmt: skip


# ---------------------------------------------------------------- outstanding


def test_outstanding_balances_are_aged_by_issue_day(books, clinic, today):
    rows = list(reports.outstanding(clinic, today))
    assert [
        (r["patient__family_name"], r["invoices"], reports.ageing_figures(r)) for r in rows
    ] == [
        ("Gurung", 1, [D("0.00"), D("200.00"), D("0.00"), D("0.00"), D("200.00")]),
        ("Thapa", 2, [D("80.00"), D("0.00"), D("0.00"), D("100.00"), D("180.00")]),
    ]
    totals = reports.outstanding_totals(clinic, today)
    assert (totals["invoices"], totals["owed"], totals["b3"]) == (3, D("380.00"), D("100.00"))


def test_the_outstanding_export(books, manager, sign_in, billing_patient):
    rows = read_csv(sign_in(manager).get(reverse("billing:report_outstanding_csv")))
    assert rows[0] == [
        "MRN", "Patient", "Invoices", "0–30 days", "31–60 days", "61–90 days", "> 90 days", "Owed",
    ]  # fmt: skip
    assert rows[1] == [
        billing_patient.mrn,
        "Sita Gurung",
        "1",
        "0.00",
        "200.00",
        "0.00",
        "0.00",
        "200.00",
    ]
    assert rows[-1] == ["", "Total", "3", "80.00", "200.00", "0.00", "100.00", "380.00"]


# ---------------------------------------------------------------- refunds, discounts, notes


def test_refunds_discounts_and_credit_notes_of_the_period(books, clinic, today, cashier):
    period = one_day(today)
    [refund] = reports.refunds(clinic, period)
    assert (refund.amount, refund.method, refund.reason) == (D("200.00"), "cash", "Cert refund")
    assert reports.listing_total(reports.refunds(clinic, period), "amount") == D("200.00")
    [discounted] = reports.discounts(clinic, period)
    assert discounted == books["registration"]
    assert (discounted.discount_total, discounted.discount_reason) == (D("20.00"), "Staff family")
    [note] = reports.credit_notes(clinic, period)
    assert (note.credit_of, note.total, note.reason) == (
        books["visit"], D("226.00"), "Certificate not needed",
    )  # fmt: skip
    earlier = one_day(today - timedelta(days=40))
    assert [r.amount for r in reports.refunds(clinic, earlier)] == [D("30.00")]
    assert [n.total for n in reports.credit_notes(clinic, earlier)] == [D("50.00")]
    assert list(reports.discounts(clinic, earlier)) == []


def test_the_credit_notes_and_discounts_exports(books, manager, sign_in, today):
    client = sign_in(manager)
    query = {"first": today.isoformat(), "last": today.isoformat()}
    rows = read_csv(client.get(reverse("billing:report_credit_notes_csv"), query))
    assert rows[0] == [
        "Credit note", "Issued", "Of invoice", "Patient", "Reason", "Issued by", "Amount",
    ]  # fmt: skip
    assert rows[1][0] == books["note"].number
    assert rows[1][2:][0] == books["visit"].number
    assert rows[1][-3:] == ["Certificate not needed", rows[1][-2], "226.00"]
    assert rows[-1][-1] == "226.00"
    discounts = read_csv(client.get(reverse("billing:report_discounts_csv"), query))
    assert discounts[1][3:] == [
        "Staff family", "(within the cashier's limit)", discounts[1][5], "100.00", "20.00",
    ]  # fmt: skip
    refunds = client.get(reverse("billing:report_refunds"), query)
    assert "Cert refund" in refunds.content.decode()
    assert "Deposit back" not in refunds.content.decode()


# ---------------------------------------------------------------- shifts and claims


def test_shifts_show_expected_counted_and_refunds(books, clinic, today, cashier):
    [now] = reports.shifts(clinic, one_day(today))
    assert (now.status, reports.cents(now.takings), reports.cents(now.refunded)) == (
        "open", D("726.00"), D("-200.00"),
    )  # fmt: skip
    [before] = reports.shifts(clinic, one_day(today - timedelta(days=40)))
    assert (before.expected_cash, before.counted_cash, before.variance) == (
        D("1100.00"), D("1090.00"), D("-10.00"),
    )  # fmt: skip
    wide = reports.Period(today - timedelta(days=45), today)
    [person] = reports.shifts_by_cashier(clinic, wide)
    assert person == {
        "cashier": cashier.get_full_name(), "shifts": 2, "takings": D("826.00"),
        "refunded": D("230.00"), "variance": D("-10.00"),
    }  # fmt: skip


def test_claims_list_and_export(cashier, manager, clinic, ram, priced, sign_in, today):
    services = priced
    insurer = Payer.objects.create(clinic=clinic, name="Shikhar Insurance", kind=PayerKind.INSURER)
    actor = actor_for(cashier)
    with days_ago(40):
        charges.add_manual(actor=actor, patient=ram, item=services["DRESS"])
        invoices.invoice_now(actor=actor, patient=ram, payer=insurer, coverage_percent="50")
    charges.add_manual(actor=actor, patient=ram, item=services["REG"])
    invoice = invoices.invoice_now(actor=actor, patient=ram, payer=insurer, coverage_percent="50")
    [claim] = reports.claims(clinic, one_day(today))
    assert (claim.invoice, claim.amount, claim.status) == (invoice, D("50.00"), "pending")
    assert list(reports.claims(clinic, one_day(today), "paid")) == []
    query = {"first": today.isoformat(), "last": today.isoformat()}
    rows = read_csv(sign_in(manager).get(reverse("billing:report_claims_csv"), query))
    assert rows[0] == [
        "Payer", "Invoice", "Issued", "Patient", "Status", "Payer's reference", "Amount",
    ]  # fmt: skip
    assert [rows[1][i] for i in (0, 1, 4, 6)] == [
        "Shikhar Insurance", invoice.number, "To submit", "50.00",
    ]  # fmt: skip
    assert rows[2] == ["Total", "", "", "", "", "", "50.00"]


# ---------------------------------------------------------------- periods


def test_a_bs_month_or_a_fiscal_year_chooses_the_period(books, manager, sign_in, today):
    client = sign_in(manager)
    [month] = reports.bs_month_choices(today, count=1)
    page = client.get(reverse("billing:report_takings"), {"bs_month": month.key})
    assert page.context["period"] == reports.Period(month.first, month.last, month.label)
    assert month.first <= today <= month.last
    form = page.context["form"]
    [year, *_] = form.years.values()
    page = client.get(reverse("billing:report_tax"), {"fiscal_year": year.label})
    assert (page.context["period"].first, page.context["period"].last) == (year.start, year.end)


def test_a_bad_period_is_refused_and_nothing_is_exported(manager, sign_in):
    client = sign_in(manager)
    query = {"first": "2025-03-10", "last": "2025-03-01"}
    page = client.get(reverse("billing:report_takings"), query)
    assert "The end comes before the start." in page.context["form"].errors["last"][0]
    assert client.get(reverse("billing:report_takings_csv"), query).status_code == 400
    assert not AuditEvent.objects.all_clinics().filter(action=AuditAction.EXPORT).exists()


# ---------------------------------------------------------------- who sees what


def test_a_cashier_cannot_open_the_reports(books, cashier, sign_in):
    client = sign_in(cashier)
    for name in REPORT_URLS:
        assert client.get(reverse(name)).status_code == 403, name
    assert not AuditEvent.objects.all_clinics().filter(action=AuditAction.EXPORT).exists()


def test_another_clinics_books_are_not_in_its_reports(books, other_clinic_manager, sign_in):
    client = sign_in(other_clinic_manager)
    for slug in ("takings", "service", "tax", "outstanding", "refunds", "credit_notes", "shifts"):
        page = client.get(reverse(f"billing:report_{slug}"))
        assert page.status_code == 200
        assert page.context["rows"] == [], slug
    rows = read_csv(client.get(reverse("billing:report_outstanding_csv")))
    assert rows[1:] == [["", "Total", "0", "0.00", "0.00", "0.00", "0.00", "0.00"]]


def test_the_reports_index_lists_every_report(manager, sign_in):
    page = sign_in(manager).get(reverse("billing:reports"))
    body = page.content.decode()
    for report in report_views.REPORTS:
        assert reverse(report.url_name) in body


# ---------------------------------------------------------------- queries


def test_report_pages_cost_the_same_queries_for_3_or_30_rows(
    cashier, manager, clinic, services, register, sign_in, django_assert_max_num_queries
):
    actor = actor_for(cashier)
    shifts.open_shift(actor=actor, opening_float=D("0"))

    def patients_billed(first, last):
        for n in range(first, last):
            patient = register(
                given_name=f"Patient{n:02d}", family_name="Rai", phone=f"98410{n:05d}"
            )
            invoice = bill(cashier, patient, services["REG"], discount=("5", f"Reason {n}"))
            pay(cashier, invoice, cash="10")

    patients_billed(0, 3)
    client = sign_in(manager)
    slugs = [r.slug for r in report_views.REPORTS]
    counts = {}
    for slug in slugs:
        client.get(reverse(f"billing:report_{slug}"))
        with django_assert_max_num_queries(30) as few:
            client.get(reverse(f"billing:report_{slug}"))
        counts[slug] = len(few.captured_queries)
    patients_billed(3, 30)
    for slug in slugs:
        with django_assert_max_num_queries(counts[slug]):
            page = client.get(reverse(f"billing:report_{slug}"))
        assert page.status_code == 200
    assert len(page.context["rows"]) == 0  # claims: none without a payer
    outstanding = client.get(reverse("billing:report_outstanding"))
    assert len(outstanding.context["rows"]) == 30
    assert [c.text for c in outstanding.context["total"]][-1] == "2550.00"  # 30 × (95 − 10)
    with django_assert_max_num_queries(30):
        rows = read_csv(client.get(reverse("billing:report_discounts_csv")))
    assert len(rows) == 1 + 30 + 1


# ---------------------------------------------------------------- the manager's dashboard


def test_the_managers_dashboard_charts_the_last_fortnights_takings(books, manager, sign_in, today):
    page = sign_in(manager).get(reverse("core:dashboard"))
    [card] = [c for c in page.context["dashboard"].cards if c.key == "billing.takings_chart"]
    bars = card.detail["bars"]
    assert [b["day"] for b in bars] == [today - timedelta(days=n) for n in range(13, -1, -1)]
    assert bars[-1]["amount"] == D("726.00")  # the day forty days back is out of the chart
    assert bars[-1]["height"] == 40
    assert bars[0]["height"] == 0
    assert card.value.startswith("726.00")
    body = page.content.decode()
    assert 'data-testid="takings-chart"' in body
    assert "style=" not in body.split('data-testid="takings-chart"')[1].split("</table>")[0]
