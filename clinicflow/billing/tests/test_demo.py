"""The demo cash desk: three weeks of Kathmandu's counter, written through the services, that
add up the way the real ones must; today's patients waiting to pay; loaded once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from clinicflow.accounts.demo import CLINICS, load_demo
from clinicflow.accounts.models import User
from clinicflow.billing import balances, prices, selectors, shifts
from clinicflow.billing.demo import load_demo_bills, load_demo_prices
from clinicflow.billing.models import (
    Charge,
    Claim,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    LedgerEntry,
    Method,
    Payer,
    Payment,
    PaymentPurpose,
    PriceList,
    Refund,
    RefundStatus,
    Shift,
    ShiftStatus,
)
from clinicflow.core.models import Clinic
from clinicflow.frontdesk.demo import load_demo_desks
from clinicflow.frontdesk.models import QueueEntry, QueueStatus
from clinicflow.patients.demo import load_demo_patients
from clinicflow.scheduling.demo import load_demo_schedules

pytestmark = pytest.mark.django_db

ROWS = (Charge, Invoice, Payment, Refund, Shift, LedgerEntry, Claim, Payer, PriceList)


def _load(code: str) -> int:
    spec = next(s for s in CLINICS if s.code == code)
    clinic = Clinic.objects.get(code=code)
    people = {
        name: User.objects.get(username=getattr(spec, name))
        for name in ("manager", "receptionist", "nurse")
    }
    load_demo_patients(receptionist=people["receptionist"], nurse=people["nurse"], clinic=clinic)
    load_demo_schedules(manager=people["manager"], clinic=clinic)
    load_demo_desks(manager=people["manager"], clinic=clinic)
    load_demo_prices(manager=people["manager"], clinic=clinic)
    return load_demo_bills(
        manager=people["manager"],
        receptionist=people["receptionist"],
        cashier=User.objects.get(username=spec.cashier) if spec.cashier else None,
        clinic=clinic,
    )


@pytest.fixture
def kathmandu() -> Clinic:
    load_demo()
    _load("KTM")
    return Clinic.objects.get(code="KTM")


def _rows(clinic: Clinic) -> dict[str, int]:
    return {model.__name__: model.objects.for_clinic(clinic).count() for model in ROWS}


def test_kathmandus_counter_has_three_weeks_of_bills_that_add_up_loaded_once(kathmandu):
    clinic = kathmandu
    today = clinic.local_date()
    issued = Invoice.objects.for_clinic(clinic).filter(status=InvoiceStatus.ISSUED)
    bills = issued.filter(kind=InvoiceKind.INVOICE)
    assert bills.count() >= 30
    assert issued.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 2
    # Every invoice asks what its ledger rows say, and all of them were issued before today.
    for bill in bills:
        assert balances.due_on(bill) == bill.patient_due, bill.number
        assert bill.issued_at is not None
        assert today - timedelta(days=22) <= clinic.local_date(bill.issued_at) < today
    numbers = sorted(bills.values_list("sequence", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert bills.filter(discount_approved_by__username="manager").count() == 1
    assert Claim.objects.for_clinic(clinic).count() == 2
    assert [i for i in bills if i.patient_due > 0]  # outstanding balances to report

    methods = set(Payment.objects.for_clinic(clinic).values_list("tenders__method", flat=True))
    assert {Method.CASH, Method.CARD, Method.QR} <= methods
    split = [p for p in Payment.objects.for_clinic(clinic) if p.tenders.count() > 1]
    assert split
    assert Payment.objects.for_clinic(clinic).filter(purpose=PaymentPurpose.DEPOSIT).count() == 1
    refunds = Refund.objects.for_clinic(clinic)
    assert set(refunds.values_list("status", flat=True)) == {RefundStatus.PAID}
    assert refunds.filter(approved_by__username="manager").count() == 1

    # Each past day's shift was closed with the drawer counted; all but yesterday's signed off.
    rows = Shift.objects.for_clinic(clinic).order_by("opened_at")
    assert not rows.filter(status=ShiftStatus.OPEN).exists()
    assert rows.filter(status=ShiftStatus.SIGNED_OFF).count() == rows.count() - 1
    assert rows.last().status == ShiftStatus.CLOSED
    for shift in rows:
        assert shift.expected_cash == shifts.summary(shift).expected_cash
        assert shift.variance == 0 or shift.variance_reason
    assert [s.variance for s in rows if s.variance] == [Decimal("-20.00")]

    # The past visits are over; today two patients wait to pay, and nobody is in the queue.
    assert set(QueueEntry.objects.for_clinic(clinic).values_list("status", flat=True)) == {
        QueueStatus.DONE
    }
    assert {w.patient.full_name for w in selectors.waiting_to_pay(clinic)} == {
        "Sunita Gurung",
        "Kiran Shrestha",
    }
    assert prices.settings_of(clinic).qr_ready

    # Loaded once: a second run adds nothing.
    before = _rows(clinic)
    assert _load("KTM") == 0
    assert _rows(clinic) == before


def test_pokhara_has_prices_and_patients_waiting_but_no_history():
    load_demo()
    assert _load("PKR") == 0
    pokhara = Clinic.objects.get(code="PKR")
    assert Payer.objects.for_clinic(pokhara).get().name == "Health Insurance Board"
    assert prices.settings_of(pokhara).tax_number
    assert not Invoice.objects.for_clinic(pokhara).exists()
    assert [w.patient.full_name for w in selectors.waiting_to_pay(pokhara)] == ["Bhim Gurung"]
