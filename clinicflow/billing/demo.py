"""The demo cash desks: each clinic's billing settings (PAN/VAT number, the payment QR's
merchant), its payers, a standard price list of common services and the insurer's list; and,
where the clinic has a cashier, three weeks of its counter, written through the billing
services as the clinic's people would have: consultations charged at check-in, services added
at the desk, invoices (small discounts, a large one the manager approved, payers' parts and
their claims), payments in cash, card, QR and split, a deposit used on later bills, credit
notes, refunds (one approved by the manager), and every day's shift closed with the drawer
counted and signed off (yesterday's waits for the manager). Today a few patients wait to pay
and no shift is open: the cashier opens one when demonstrating.

The services stamp ``timezone.now()``. The past days are written with the clock set back to
the moment each thing happened (:func:`clock_at`), so every row is still made by its service
and the invoices, receipts, shifts and ledger agree with each other; only their times are in
the past. Only the demo does this."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any, NamedTuple
from unittest import mock

from django.db import transaction
from django.utils import timezone

from clinicflow.accounts.demo import demo_actor
from clinicflow.accounts.models import User
from clinicflow.billing import charges, configuration, invoices, payments, prices, shifts, sources
from clinicflow.billing.models import (
    Charge,
    Invoice,
    ItemKind,
    Method,
    Payer,
    PayerKind,
    PriceItem,
    Shift,
    TaxCategory,
)
from clinicflow.billing.payments import TenderIn
from clinicflow.core.actor import Actor
from clinicflow.core.models import Clinic
from clinicflow.frontdesk import services as frontdesk
from clinicflow.frontdesk.models import QueueStatus
from clinicflow.patients.models import Patient
from clinicflow.scheduling.models import Practitioner


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """While inside, ``timezone.now()`` reads ``moment``: the demo writes its past days through
    the same services as today's, each at the time it happened."""
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


# ---------------------------------------------------------------- set-up


class DemoService(NamedTuple):
    code: str
    name: str
    kind: str
    amount: str
    tax: str = TaxCategory.EXEMPT


S = DemoService
VAT = TaxCategory.VAT
PROCEDURE = ItemKind.PROCEDURE

#: The standard list: services given at the clinic (most exempt from VAT, the paperwork not).
SERVICES = [
    S("REG", "Registration card", ItemKind.REGISTRATION, "100"),
    S("BP", "Blood pressure check", PROCEDURE, "50"),
    S("GLUCOSE", "Blood sugar (finger-prick)", PROCEDURE, "150"),
    S("INJ", "Injection (IM/IV)", PROCEDURE, "100"),
    S("NEB", "Nebulisation", PROCEDURE, "250"),
    S("ECG", "12-lead ECG", PROCEDURE, "500"),
    S("DRESS-S", "Wound dressing (small)", PROCEDURE, "300"),
    S("DRESS-L", "Wound dressing (large)", PROCEDURE, "600"),
    S("IVCAN", "IV cannulation", PROCEDURE, "300"),
    S("SUTURE", "Suturing (up to 3 stitches)", PROCEDURE, "800"),
    S("STITCH-OFF", "Stitch removal", PROCEDURE, "200"),
    S("EAR", "Ear syringing", PROCEDURE, "400"),
    S("CAST", "Plaster cast (below elbow)", PROCEDURE, "1500"),
    S("CERT-MED", "Medical certificate", ItemKind.OTHER, "500", VAT),
    S("CERT-FIT", "Fitness certificate (employment)", ItemKind.OTHER, "800", VAT),
    S("RECORDS", "Copy of medical records", ItemKind.OTHER, "200", VAT),
]


class DemoBilling(NamedTuple):
    settings: dict[str, str]
    #: (name, kind, scheme or contract number); the first has its own price list.
    payers: list[tuple[str, str, str]]
    #: The payer's prices, by service code.
    payer_prices: dict[str, str]
    #: How many of ``SERVICES`` the clinic offers (the first ones).
    services: int
    #: Today's patients waiting to pay: ("given family", service codes added at the desk).
    waiting: list[tuple[str, tuple[str, ...]]]


HIB = "Health Insurance Board"

#: Per clinic code.
BILLING = {
    "KTM": DemoBilling(
        settings={
            "tax_number": "601234567",
            "qr_merchant_name": "Himalaya Family Clinic",
            "qr_merchant_city": "Kathmandu",
            "qr_account_guid": "fonepay.com",
            "qr_account_id": "2222090012345678",
        },
        payers=[
            (HIB, PayerKind.INSURER, "SSP-KTM-0412"),
            ("Everest Bank Ltd. (staff scheme)", PayerKind.COMPANY, "EBL/HR/2081-17"),
        ],
        payer_prices={"REG": "50", "ECG": "400", "NEB": "200", "INJ": "80", "DRESS-S": "250"},
        services=len(SERVICES),
        waiting=[
            ("Sunita Gurung", ("REG", "NEB")),
            ("Kiran Shrestha", ("ECG", "CERT-MED")),
        ],
    ),
    "PKR": DemoBilling(
        settings={
            "tax_number": "609876543",
            "qr_merchant_name": "Lakeside Health Centre",
            "qr_merchant_city": "Pokhara",
            "qr_account_guid": "fonepay.com",
            "qr_account_id": "2222090087654321",
        },
        payers=[(HIB, PayerKind.INSURER, "SSP-PKR-0077")],
        payer_prices={"REG": "50", "INJ": "80"},
        services=8,
        waiting=[("Bhim Gurung", ("REG", "BP"))],
    ),
}

#: The price lists hold from this many days before today (the history falls within).
PRICES_SINCE_DAYS = 60


@transaction.atomic
def load_demo_prices(*, manager: User, clinic: Clinic | None = None) -> int:
    """The billing settings, payers, standard services and the insurer's price list of
    ``clinic`` (the manager's first clinic when none is named). Once: nothing happens when the
    clinic has any payer. Returns how many services were added."""
    actor = demo_actor(manager, clinic)
    clinic = actor.clinic
    assert clinic is not None
    spec = BILLING.get(clinic.code)
    if spec is None or Payer.objects.for_clinic(clinic).exists():
        return 0
    configuration.update_settings(actor=actor, changes=dict(spec.settings))
    payers = [
        prices.add_payer(actor=actor, name=name, kind=kind, reference=reference)
        for name, kind, reference in spec.payers
    ]
    since = clinic.local_date() - timedelta(days=PRICES_SINCE_DAYS)
    items = {
        service.code: prices.create_item(
            actor=actor,
            code=service.code,
            name=service.name,
            kind=service.kind,
            amount=service.amount,
            valid_from=since,
            tax_category=service.tax,
        )
        for service in SERVICES[: spec.services]
    }
    listed = prices.add_price_list(actor=actor, name=payers[0].name, payer=payers[0])
    for code, amount in spec.payer_prices.items():
        prices.set_price(
            actor=actor, item=items[code], amount=amount, valid_from=since, price_list=listed
        )
    return len(items)


# ---------------------------------------------------------------- three weeks at the counter

#: Calendar days of history before today (Saturdays closed).
HISTORY_DAYS = 21
OPENING_FLOAT = Decimal("2000")
#: Ordinary visits a day, besides the day's story.
VISITS_A_DAY = (1, 2)
SEED = 2083


class Desk:
    """The clinic's people at work on past days, each step through its service."""

    def __init__(self, clinic: Clinic, people: dict[str, User]) -> None:
        self.clinic = clinic
        self.reception = demo_actor(people["receptionist"], clinic)
        self.cashier = demo_actor(people["cashier"], clinic)
        self.manager = demo_actor(people["manager"], clinic)
        self.rng = random.Random(SEED)  # noqa: S311  (the same demo everywhere; no secrets)
        self.items = {i.code: i for i in PriceItem.objects.for_clinic(clinic)}
        self.patients = {
            p.full_name: p for p in Patient.objects.for_clinic(clinic).order_by("mrn_seq")
        }
        self.doctors = list(
            Practitioner.objects.for_clinic(clinic).select_related("user").order_by("pk")
        )
        self.doctor_actors = {d.pk: demo_actor(d.user, clinic) for d in self.doctors}
        self.day = clinic.local_date()
        self.shift: Shift | None = None
        self.issued = 0

    def at(self, hour: int, minute: int = 0) -> AbstractContextManager[None]:
        return clock_at(datetime.combine(self.day, time(hour, minute), tzinfo=self.clinic.zone))

    # -- one visit

    def visit(
        self,
        name: str,
        *,
        hour: int,
        minute: int = 0,
        doctor: Practitioner | None = None,
        services: tuple[str, ...] = (),
    ) -> Patient:
        """The patient sees a doctor (charged at check-in) and has services added at the desk."""
        patient = self.patients[name]
        when = datetime.combine(self.day, time(hour, minute), tzinfo=self.clinic.zone)
        if doctor is not None:
            with clock_at(when):
                entry = frontdesk.add_walk_in(
                    actor=self.reception, patient=patient, practitioner=doctor
                )
            seeing = self.doctor_actors[doctor.pk]
            with clock_at(when + timedelta(minutes=5)):
                frontdesk.move(actor=seeing, entry=entry, to_status=QueueStatus.WITH_DOCTOR)
            with clock_at(when + timedelta(minutes=20)):
                frontdesk.move(actor=seeing, entry=entry, to_status=QueueStatus.DONE)
        with clock_at(when + timedelta(minutes=25)):
            for code in services:
                charges.add_manual(actor=self.cashier, patient=patient, item=self.items[code])
        return patient

    def bill(self, patient: Patient, *, hour: int, minute: int = 0, **cover: Any) -> Invoice:
        with self.at(hour, minute):
            made = invoices.invoice_now(actor=self.cashier, patient=patient, **cover)
        self.issued += 1
        return made

    def pay(self, invoice: Invoice, tenders: list[TenderIn], *, hour: int, minute: int = 0) -> Any:
        with self.at(hour, minute):
            return payments.pay(actor=self.cashier, invoice=invoice, tenders=tenders)

    def tenders(self, due: Decimal) -> list[TenderIn]:
        """How an ordinary patient pays: mostly cash, then QR, card, or cash and QR."""
        whole = due.to_integral_value(ROUND_FLOOR)
        roll = self.rng.random()
        if roll < 0.15 and whole > 200:
            cash = whole - whole % 100 if whole % 100 else whole - 100
            return [TenderIn(Method.CASH, cash), TenderIn(Method.QR, due - cash, self.qr_ref())]
        if roll < 0.6 and whole == due:
            return [TenderIn(Method.CASH, due)]
        if roll < 0.85:
            return [TenderIn(Method.QR, due, self.qr_ref())]
        return [TenderIn(Method.CARD, due, f"SLIP-{self.rng.randint(100000, 999999)}")]

    def qr_ref(self) -> str:
        return f"FP{self.rng.randint(10**9, 10**10 - 1)}"

    # -- one day

    def open_day(self) -> None:
        with self.at(9):
            self.shift = shifts.open_shift(actor=self.cashier, opening_float=OPENING_FLOAT)

    def close_day(self, *, short: int = 0, sign_off: bool = True) -> None:
        assert self.shift is not None
        expected = shifts.summary(self.shift).expected_cash
        reason = "Change given twice to one patient" if short else ""
        with self.at(17):
            closed = shifts.close_shift(
                actor=self.cashier,
                shift=self.shift,
                counted=self.notes(expected - short),
                reason=reason,
            )
        if sign_off:
            with self.at(17, 30):
                shifts.sign_off(actor=self.manager, shift=closed)
        self.shift = None

    def notes(self, amount: Decimal) -> dict[str, int]:
        """The drawer counted, largest notes first."""
        left = int(amount)
        counted: dict[str, int] = {}
        for value in prices.settings_of(self.clinic).denomination_values:
            pieces, left = divmod(left, int(value))
            if pieces:
                counted[f"{value:f}"] = pieces
        return counted

    def ordinary(self, taken: set[str], hour: int) -> None:
        """A few patients who see a doctor, have a service or two, and pay."""
        free = [name for name in self.patients if name not in taken]
        for number, name in enumerate(self.rng.sample(free, self.rng.randint(*VISITS_A_DAY))):
            services = tuple(
                self.rng.sample(
                    ["BP", "GLUCOSE", "INJ", "NEB", "DRESS-S", "ECG", "CERT-MED", "REG"],
                    self.rng.choice((1, 1, 2)),
                )
            )
            seen = self.doctors and self.rng.random() < 0.7
            doctor = self.rng.choice(self.doctors) if seen else None
            start = hour + number
            patient = self.visit(name, hour=start, doctor=doctor, services=services)
            made = self.bill(patient, hour=start, minute=30)
            self.pay(made, self.tenders(made.patient_due), hour=start, minute=32)


def _working_days(today: date) -> list[date]:
    """The clinic's open days of the history, oldest first (Saturday is the weekly holiday)."""
    days = [today - timedelta(days=n) for n in range(HISTORY_DAYS, 0, -1)]
    return [d for d in days if d.weekday() != 5]


@transaction.atomic
def load_demo_bills(
    *,
    manager: User,
    receptionist: User,
    cashier: User | None,
    clinic: Clinic | None = None,
) -> int:
    """The cash desk's past weeks of ``clinic`` (the manager's first clinic when none is named),
    where it has a cashier, and today's patients waiting to pay. Once: nothing happens when the
    clinic has any invoice, shift or charge added at the desk. Returns how many invoices the
    history issued."""
    actor = demo_actor(manager, clinic)
    clinic = actor.clinic
    assert clinic is not None
    spec = BILLING.get(clinic.code)
    if spec is None or _has_bills(clinic):
        return 0
    issued = 0
    if cashier is not None:
        _fees_since(actor, clinic)
        desk = Desk(clinic, {"manager": manager, "receptionist": receptionist, "cashier": cashier})
        _history(desk)
        issued = desk.issued
    desk_actor = demo_actor(receptionist, clinic)
    items = {i.code: i for i in PriceItem.objects.for_clinic(clinic)}
    for name, codes in spec.waiting:
        given, family = name.rsplit(" ", 1)
        patient = Patient.objects.for_clinic(clinic).get(given_name=given, family_name=family)
        for code in codes:
            charges.add_manual(actor=desk_actor, patient=patient, item=items[code])
    return issued


def _has_bills(clinic: Clinic) -> bool:
    return (
        Invoice.objects.for_clinic(clinic).exists()
        or Shift.objects.for_clinic(clinic).exists()
        or Charge.objects.for_clinic(clinic).filter(source_kind=sources.MANUAL.key).exists()
    )


def _fees_since(actor: Actor, clinic: Clinic) -> None:
    """The doctors' fees were set when their profiles were made (today): the manager dates
    them from the price lists' start, so the past weeks' consultations have a price."""
    since = clinic.local_date() - timedelta(days=PRICES_SINCE_DAYS)
    today = clinic.local_date()
    for doctor in Practitioner.objects.for_clinic(clinic):
        for code in charges.consultation_codes(doctor.pk):
            item = PriceItem.objects.for_clinic(clinic).filter(code=code).first()
            amount = prices.price_of(item, today) if item is not None else None
            if item is not None and amount is not None:
                prices.set_price(actor=actor, item=item, amount=amount, valid_from=since)


def _history(desk: Desk) -> None:
    """Every open day of the past weeks; some days have a story besides the ordinary visits."""
    days = _working_days(desk.clinic.local_date())
    stories = {
        14: _senior_discount,
        11: _approved_discount,
        9: _insured,
        8: _company_scheme,
        7: _split_payment,
        6: _deposit,
        4: _deposit_used,
        5: _ecg_not_done,
        3: _cast_elsewhere,
        2: _partly_paid,
        1: _pays_tomorrow,
    }
    for ago, day in zip(range(len(days), 0, -1), days, strict=True):
        desk.day = day
        desk.open_day()
        story = stories.get(ago)
        taken = story(desk) if story is not None else set()
        desk.ordinary(taken, hour=13)
        desk.close_day(short=20 if ago == 8 else 0, sign_off=ago != 1)


def _doctor(desk: Desk, username: str) -> Practitioner | None:
    return next((d for d in desk.doctors if d.user.username == username), None)


def _senior_discount(desk: Desk) -> set[str]:
    name = "Maya Tamang"
    patient = desk.visit(name, hour=10, doctor=_doctor(desk, "doc004"), services=("INJ",))
    with desk.at(10, 30):
        draft = invoices.draft(actor=desk.cashier, patient=patient)
        invoices.set_discount(
            actor=desk.cashier, invoice=draft, amount="100", reason="Senior citizen"
        )
    with desk.at(10, 31):
        made = invoices.issue(actor=desk.cashier, invoice=draft)
    desk.issued += 1
    desk.pay(made, [TenderIn(Method.CASH, made.patient_due)], hour=10, minute=32)
    return {name}


def _approved_discount(desk: Desk) -> set[str]:
    """A discount above the threshold: the manager approves it before it is issued."""
    name = "Dipendra Karki"
    patient = desk.visit(
        name,
        hour=10,
        doctor=_doctor(desk, "doc004"),
        services=("SUTURE", "DRESS-L", "INJ"),
    )
    with desk.at(10, 30):
        draft = invoices.draft(actor=desk.cashier, patient=patient)
        invoices.set_discount(
            actor=desk.cashier, invoice=draft, amount="700", reason="Staff family"
        )
    with desk.at(10, 35):
        invoices.approve_discount(actor=desk.manager, invoice=draft)
    with desk.at(10, 36):
        made = invoices.issue(actor=desk.cashier, invoice=draft)
    desk.issued += 1
    desk.pay(made, [TenderIn(Method.CARD, made.patient_due, "SLIP-204518")], hour=10, minute=38)
    return {name}


def _insured(desk: Desk) -> set[str]:
    """The insurer pays 80 %: its part is a claim, the patient pays the rest."""
    name = "Ramesh Adhikari"
    patient = desk.visit(name, hour=10, doctor=_doctor(desk, "doc002"), services=("GLUCOSE", "ECG"))
    payer = Payer.objects.for_clinic(desk.clinic).get(name=HIB)
    made = desk.bill(patient, hour=10, minute=30, payer=payer, coverage_percent="80")
    desk.pay(made, [TenderIn(Method.CASH, made.patient_due)], hour=10, minute=32)
    return {name}


def _company_scheme(desk: Desk) -> set[str]:
    """The employer pays the fitness certificate; the patient pays the consultation by QR."""
    name = "Sarita Magar"
    patient = desk.visit(name, hour=10, doctor=_doctor(desk, "doc001"), services=("CERT-FIT",))
    payer = Payer.objects.for_clinic(desk.clinic).exclude(name=HIB).first()
    made = desk.bill(patient, hour=10, minute=30, payer=payer, coverage_amount="904")
    desk.pay(made, [TenderIn(Method.QR, made.patient_due, desk.qr_ref())], hour=10, minute=32)
    return {name}


def _split_payment(desk: Desk) -> set[str]:
    name = "Prakash Joshi"
    patient = desk.visit(name, hour=10, doctor=_doctor(desk, "doc002"), services=("ECG",))
    made = desk.bill(patient, hour=10, minute=30)
    cash = Decimal("1000")
    desk.pay(
        made,
        [TenderIn(Method.CASH, cash), TenderIn(Method.QR, made.patient_due - cash, "FP7730015524")],
        hour=10,
        minute=32,
    )
    return {name}


def _deposit(desk: Desk) -> set[str]:
    """A patient with COPD leaves a deposit for a course of nebulisations, and has the first."""
    name = "Hari Poudel"
    with desk.at(10):
        payments.deposit(
            actor=desk.cashier,
            patient=desk.patients[name],
            tenders=[TenderIn(Method.CASH, Decimal("1500"))],
        )
    patient = desk.visit(name, hour=10, minute=15, services=("NEB",))
    made = desk.bill(patient, hour=10, minute=45)
    with desk.at(10, 46):
        payments.apply_credit(actor=desk.cashier, invoice=made, amount=made.patient_due)
    return {name}


def _deposit_used(desk: Desk) -> set[str]:
    name = "Hari Poudel"
    patient = desk.visit(name, hour=10, services=("NEB", "BP"))
    made = desk.bill(patient, hour=10, minute=30)
    with desk.at(10, 31):
        payments.apply_credit(actor=desk.cashier, invoice=made, amount=made.patient_due)
    return {name}


def _ecg_not_done(desk: Desk) -> set[str]:
    """Paid by card, but the ECG machine was down: the ECG is credited and the money given
    back in cash (under the threshold: no approval needed)."""
    name = "Bishnu Thapa"
    patient = desk.visit(name, hour=10, doctor=_doctor(desk, "doc002"), services=("ECG",))
    made = desk.bill(patient, hour=10, minute=30)
    paid = desk.pay(
        made, [TenderIn(Method.CARD, made.patient_due, "SLIP-318842")], hour=10, minute=32
    )
    ecg = made.lines.get(charge__item__code="ECG")
    with desk.at(11, 10):
        invoices.credit(
            actor=desk.cashier,
            invoice=made,
            reason="ECG not done: the machine was out of order",
            lines={ecg.pk: None},
        )
    with desk.at(11, 12):
        payments.refund(
            actor=desk.cashier,
            patient=patient,
            amount=ecg.total,
            reason="ECG not done",
            method=Method.CASH,
            payment=paid,
        )
    return {name}


def _cast_elsewhere(desk: Desk) -> set[str]:
    """Paid by QR for a cast that was put on at the hospital instead: credited, and refunded
    to the wallet once the manager approved (above the threshold)."""
    name = "Kiran Shrestha"
    patient = desk.visit(name, hour=10, doctor=_doctor(desk, "doc004"), services=("CAST",))
    made = desk.bill(patient, hour=10, minute=30)
    paid = desk.pay(
        made, [TenderIn(Method.QR, made.patient_due, desk.qr_ref())], hour=10, minute=32
    )
    cast = made.lines.get(charge__item__code="CAST")
    with desk.at(11, 40):
        invoices.credit(
            actor=desk.cashier,
            invoice=made,
            reason="Cast put on at the hospital's fracture clinic",
            lines={cast.pk: None},
        )
    with desk.at(11, 42):
        asked = payments.refund(
            actor=desk.cashier,
            patient=patient,
            amount=cast.total,
            reason="Cast not done here",
            method=Method.QR,
            payment=paid,
        )
    with desk.at(12, 5):
        payments.approve_refund(actor=desk.manager, refund=asked)
    with desk.at(12, 10):
        payments.pay_refund(actor=desk.cashier, refund=asked)
    return {name}


def _partly_paid(desk: Desk) -> set[str]:
    name = "Anjali Rai"
    patient = desk.visit(name, hour=10, doctor=_doctor(desk, "doc003"), services=("NEB",))
    made = desk.bill(patient, hour=10, minute=30)
    desk.pay(made, [TenderIn(Method.CASH, Decimal("500"))], hour=10, minute=32)
    return {name}


def _pays_tomorrow(desk: Desk) -> set[str]:
    name = "Laxmi Bhandari"
    patient = desk.visit(name, hour=10, services=("CERT-MED",))
    desk.bill(patient, hour=10, minute=30)
    return {name}
