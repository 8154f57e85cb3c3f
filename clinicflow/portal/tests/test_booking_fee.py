"""The booking fee paid online (issue 20): where the clinic says so, an online booking charges
the doctor's fee and invoices it at once, and the time is held "waiting for your payment"; the
gateway's signed callback (or the cash desk) pays it and confirms the booking; unpaid, the
release sweep frees the time and withdraws the bill by a credit note, and a payment that
comes after that is kept as the patient's credit. The visit is not charged its consultation
again."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import balances, charges, payments, prices, shifts
from clinicflow.billing.gateways import GatewayCallback, sign
from clinicflow.billing.models import (
    Charge,
    ChargeStatus,
    ConsultationChargedAt,
    Invoice,
    InvoiceKind,
    Payment,
    PaymentPurpose,
)
from clinicflow.clinical.services import open_encounter
from clinicflow.core.errors import DomainError, LimitReached
from clinicflow.core.models import AuditEvent
from clinicflow.frontdesk import services as frontdesk
from clinicflow.notifications.models import Notice
from clinicflow.portal import booking
from clinicflow.scheduling import services, tasks
from clinicflow.scheduling.models import Appointment, AppointmentStatus, OnlineBookingSettings
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db

SECRET = "gateway-shared-secret"
FEE = Decimal("800.00")


@pytest.fixture
def fee_online(clinic, settings):
    """The clinic has the fee paid online (held 15 minutes), a QR merchant and a gateway."""
    settings.BILLING_GATEWAY_SECRETS = {"signed": SECRET}
    OnlineBookingSettings.objects.for_clinic(clinic).update_or_create(
        clinic=clinic, defaults={"fee_paid_online": True, "payment_hold_minutes": 15}
    )
    rules = prices.settings_of(clinic)
    rules.qr_merchant_name, rules.qr_merchant_city = "Himalaya Family Clinic", "Kathmandu"
    rules.qr_account_guid, rules.qr_account_id = "np.com.nepalpay", "9800000001"
    rules.save()
    return clinic


def _book(family, patient, doctor, when):
    return booking.book_online(
        actor=actor_for(family),
        patient=patient,
        practitioner=doctor,
        starts_at=when,
        reason="Chest pain when climbing stairs",
    )


def _bill(appointment) -> Invoice:
    return Invoice.objects.for_clinic(appointment.clinic).get(
        kind=InvoiceKind.INVOICE, lines__charge__source_id=str(appointment.pk)
    )


def _callback(clinic, number, *, amount="800.00", reference="TX-1"):
    body = json.dumps(
        {"reference": reference, "bill_number": number, "amount": amount, "currency": "NPR"}
    ).encode()
    stamp = int(time.time())
    return Client(enforce_csrf_checks=True).post(
        reverse("api:billing-webhook", args=["signed", clinic.code]),
        body,
        content_type="application/json",
        headers={"X-Timestamp": str(stamp), "X-Signature": sign(body, SECRET.encode(), stamp)},
    )


def _past_its_time(appointment) -> None:
    Appointment.objects.for_clinic(appointment.clinic).filter(pk=appointment.pk).update(
        payment_due_by=timezone.now() - timedelta(minutes=1)
    )


@pytest.fixture
def held(fee_online, family, priya, cardiologist, next_monday, at):
    return _book(family, priya, cardiologist, at(next_monday, 9, 20))


# ---------------------------------------------------------------- settings


def test_without_the_setting_an_online_booking_charges_nothing(
    family, priya, cardiologist, next_monday, at
):
    booked = _book(family, priya, cardiologist, at(next_monday, 9, 20))
    assert booked.payment_due_by is None
    assert booked.status == AppointmentStatus.REQUESTED  # the desk confirms, as before
    assert not Charge.objects.for_clinic(priya.clinic).exists()
    assert not Invoice.objects.for_clinic(priya.clinic).exists()


def test_a_manager_turns_the_fee_on_with_the_hold_on_the_settings_page(manager, sign_in, clinic):
    client = sign_in(manager)
    page = client.get(reverse("portal:booking_settings"))
    assert "payment_hold_minutes" in page.content.decode()
    form = {
        "enabled": "on",
        "days_ahead": 30,
        "min_notice_hours": 2,
        "needs_confirmation": "on",
        "change_until_hours": 24,
        "fee_paid_online": "on",
        "payment_hold_minutes": 20,
    }
    assert client.post(reverse("portal:booking_settings"), form).status_code == 302
    rules = booking.settings_of(clinic)
    assert (rules.fee_paid_online, rules.payment_hold_minutes) == (True, 20)


@pytest.mark.parametrize("minutes", [0, 4, 121, 5000])
def test_a_hold_outside_five_minutes_to_two_hours_is_refused_and_nothing_saved(
    manager, sign_in, clinic, minutes
):
    client = sign_in(manager)
    form = {
        "days_ahead": 30,
        "min_notice_hours": 2,
        "change_until_hours": 24,
        "fee_paid_online": "on",
        "payment_hold_minutes": minutes,
    }
    answer = client.post(reverse("portal:booking_settings"), form)
    assert answer.status_code == 400
    assert "payment_hold_minutes" in answer.context["form"].errors
    assert not OnlineBookingSettings.objects.for_clinic(clinic).exists()
    with pytest.raises(DomainError):
        booking.update_settings(actor=actor_for(manager), payment_hold_minutes=minutes)


def test_the_database_holds_the_range_of_the_hold(clinic):
    with pytest.raises(IntegrityError):
        OnlineBookingSettings.objects.create(clinic=clinic, payment_hold_minutes=1)


# ---------------------------------------------------------------- booking


def test_a_booking_charges_the_fee_once_invoices_it_and_holds_the_time(
    held, priya, cardiologist, receptionist
):
    assert held.status == AppointmentStatus.REQUESTED
    assert held.payment_due_by is not None
    left = held.payment_due_by - timezone.now()
    assert timedelta(minutes=14) < left <= timedelta(minutes=15)
    charge = Charge.objects.for_clinic(priya.clinic).get()
    assert (charge.source_kind, charge.source_id) == ("appointment", str(held.pk))
    assert (charge.amount, charge.status, charge.patient_id) == (FEE, ChargeStatus.BILLED, priya.pk)
    bill = Invoice.objects.for_clinic(priya.clinic).get()
    assert (bill.is_issued, bill.total, bill.patient_due) == (True, FEE, FEE)
    # The payment confirms it: the desk has nothing to confirm, and may not around it.
    assert not Notice.objects.for_clinic(priya.clinic).filter(recipient=receptionist).exists()
    with pytest.raises(DomainError) as refused:
        services.change_status(
            actor=actor_for(receptionist), appointment=held, to_status=AppointmentStatus.BOOKED
        )
    assert refused.value.code == "awaiting_payment"
    # The time is taken while held.
    day = timezone.localtime(held.starts_at, priya.clinic.zone).date()
    assert held.starts_at not in {s.starts_at for s in booking.free_slots(cardiologist, day, day)}


def test_booking_on_the_doctors_page_says_to_pay_now(
    fee_online, family, priya, cardiologist, next_monday, at, sign_in
):
    client = sign_in(family)
    answer = client.post(
        reverse("portal:book_doctor", args=[cardiologist.pk]),
        {
            "patient": str(priya.pk),
            "starts_at": at(next_monday, 10).isoformat(),
            "reason": "Chest pain when climbing stairs",
        },
        follow=True,
    )
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "Pay now to keep this time" in text
    assert Appointment.objects.for_clinic(priya.clinic).get().payment_due_by is not None


def test_the_patient_sees_pay_now_with_the_qr_and_the_deadline(held, family, sign_in):
    client = sign_in(family)
    page = client.get(reverse("portal:appointments"))
    text = page.content.decode()
    assert "Pay now to keep this time" in text
    assert "<svg" in text
    assert _bill(held).number in text
    assert timezone.localtime(held.payment_due_by, held.clinic.zone).strftime("%H:%M") in text
    assert 'hx-trigger="every 10s"' in text  # looks again until it is paid


def test_the_desk_sees_the_booking_waits_for_its_fee_and_is_not_offered_to_confirm_it(
    held, receptionist, sign_in
):
    page = sign_in(receptionist).get(reverse("scheduling:appointment", args=[held.pk]))
    assert page.status_code == 200
    assert "Waiting for its fee" in page.content.decode()
    assert [s for s, _verb in page.context["next_states"]] == [AppointmentStatus.CANCELLED]


def test_the_appointments_page_takes_the_same_queries_for_one_or_two_held_bookings(
    held, family, priya, cardiologist, next_monday, at, sign_in
):
    client = sign_in(family)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("portal:appointments")).status_code == 200
        # The page's own reads (the bell's count is cached, in a cache another test worker
        # may empty meanwhile).
        ours = ("scheduling_", "billing_")
        return sum(1 for q in queries.captured_queries if any(t in q["sql"] for t in ours))

    one = count()
    _book(family, priya, cardiologist, at(next_monday, 11, 20))
    assert count() == one


# ---------------------------------------------------------------- paying


def test_the_gateways_signed_callback_pays_and_confirms_and_twice_pays_once(
    held, family, sign_in, clinic
):
    bill = _bill(held)
    first = _callback(clinic, bill.number)
    assert first.status_code == 200, first.json()
    again = _callback(clinic, bill.number)
    assert again.status_code == 200
    assert again.json()["receipt"] == first.json()["receipt"]
    assert Payment.objects.for_clinic(clinic).count() == 1
    held.refresh_from_db()
    assert (held.status, held.payment_due_by) == (AppointmentStatus.BOOKED, None)
    bill.refresh_from_db()
    assert bill.patient_due == 0
    page = sign_in(family).get(reverse("portal:appointments")).content.decode()
    assert "Confirmed" in page
    assert "Pay now" not in page
    assert "every 10s" not in page


def test_a_callback_for_less_than_the_fee_is_kept_as_credit_and_the_booking_stays_held(
    held, clinic
):
    # The fee is paid whole (a part would hold nothing); the wallet moved the money, so it
    # is recorded, as the patient's credit, and the booking waits for the rest.
    answer = _callback(clinic, _bill(held).number, amount="500.00")
    assert answer.status_code == 200, answer.json()
    payment = Payment.objects.for_clinic(clinic).get()
    assert (payment.purpose, payment.invoice, payment.amount) == (
        PaymentPurpose.DEPOSIT,
        None,
        Decimal("500.00"),
    )
    assert balances.of_patient(clinic, held.patient_id).credit == Decimal("500.00")
    assert _bill(held).patient_due == FEE
    held.refresh_from_db()
    assert held.status == AppointmentStatus.REQUESTED
    assert held.payment_due_by is not None


def test_a_callback_for_more_than_the_fee_pays_it_and_keeps_the_rest_once(held, clinic):
    bill = _bill(held)
    first = _callback(clinic, bill.number, amount="900.00")
    assert first.status_code == 200, first.json()
    again = _callback(clinic, bill.number, amount="900.00")
    assert again.json()["receipt"] == first.json()["receipt"]
    payment = Payment.objects.for_clinic(clinic).get()  # one receipt for one transaction
    assert (payment.purpose, payment.invoice, payment.amount) == (
        PaymentPurpose.INVOICE,
        bill,
        Decimal("900.00"),
    )
    bill.refresh_from_db()
    assert (bill.paid, bill.patient_due) == (FEE, 0)
    assert balances.of_patient(clinic, held.patient_id).credit == Decimal("100.00")
    held.refresh_from_db()
    assert (held.status, held.payment_due_by) == (AppointmentStatus.BOOKED, None)


def test_a_qr_payment_after_the_fee_was_paid_at_the_desk_is_kept_as_credit(held, cashier, clinic):
    shifts.open_shift(actor=actor_for(cashier), opening_float=Decimal("1000"))
    payments.pay(
        actor=actor_for(cashier), invoice=_bill(held), tenders=[payments.TenderIn("cash", "800")]
    )
    late = _callback(clinic, _bill(held).number, reference="TX-2")
    assert late.status_code == 200, late.json()
    assert _callback(clinic, _bill(held).number, reference="TX-2").status_code == 200
    qr = Payment.objects.for_clinic(clinic).get(tenders__gateway_reference="signed:TX-2")
    assert (qr.purpose, qr.invoice, qr.amount) == (PaymentPurpose.DEPOSIT, None, FEE)
    assert Payment.objects.for_clinic(clinic).count() == 2
    assert _bill(held).paid == FEE
    assert balances.of_patient(clinic, held.patient_id).credit == FEE
    held.refresh_from_db()
    assert held.status == AppointmentStatus.BOOKED


def test_a_cashiers_payment_at_the_desk_confirms_it_too(held, cashier):
    shifts.open_shift(actor=actor_for(cashier), opening_float=Decimal("1000"))
    payments.pay(
        actor=actor_for(cashier),
        invoice=_bill(held),
        tenders=[payments.TenderIn("cash", "800")],
    )
    held.refresh_from_db()
    assert held.status == AppointmentStatus.BOOKED


def test_a_payment_after_the_time_to_pay_but_before_the_sweep_still_confirms(held, clinic):
    _past_its_time(held)
    assert _callback(clinic, _bill(held).number).status_code == 200
    assert tasks.release_unpaid_bookings() == 0
    held.refresh_from_db()
    assert held.status == AppointmentStatus.BOOKED


# ---------------------------------------------------------------- not paid in time


def test_unpaid_the_sweep_releases_the_time_and_credits_the_bill(
    held, clinic, cardiologist, other_family, stranger
):
    assert tasks.release_unpaid_bookings() == 0  # not yet
    _past_its_time(held)
    assert tasks.release_unpaid_bookings() == 1
    assert tasks.release_unpaid_bookings() == 0  # once
    held.refresh_from_db()
    assert (held.status, held.status_reason) == (AppointmentStatus.CANCELLED, "Not paid in time")
    assert held.payment_due_by is None
    released = AuditEvent.objects.for_clinic(clinic).filter(object_id=str(held.pk))
    assert any("cancelled" in str(e.changes) and "release_unpaid" in e.user_agent for e in released)
    bill = _bill(held)
    note = Invoice.objects.for_clinic(clinic).get(kind=InvoiceKind.CREDIT_NOTE)
    assert (note.credit_of_id, note.total, note.created_by) == (bill.pk, FEE, None)
    assert bill.patient_due == 0
    assert balances.of_patient(clinic, held.patient_id).owed == 0
    # The time is free again: another patient books it.
    day = timezone.localtime(held.starts_at, clinic.zone).date()
    assert held.starts_at in {s.starts_at for s in booking.free_slots(cardiologist, day, day)}
    again = _book(other_family, stranger, cardiologist, held.starts_at)
    assert again.status == AppointmentStatus.REQUESTED


def test_a_payment_after_the_release_is_kept_as_the_patients_credit(held, clinic):
    _past_its_time(held)
    tasks.release_unpaid_bookings()
    bill = _bill(held)
    late = _callback(clinic, bill.number, reference="TX-LATE")
    assert late.status_code == 200, late.json()
    assert _callback(clinic, bill.number, reference="TX-LATE").status_code == 200
    payment = Payment.objects.for_clinic(clinic).get()
    assert (payment.purpose, payment.amount, payment.invoice) == (
        PaymentPurpose.DEPOSIT,
        FEE,
        None,
    )
    assert balances.of_patient(clinic, held.patient_id).credit == FEE
    held.refresh_from_db()
    assert held.status == AppointmentStatus.CANCELLED  # the time went to others


def test_a_patient_who_cancels_a_held_booking_owes_nothing(held, family, clinic):
    booking.cancel_online(actor=actor_for(family), appointment=held)
    held.refresh_from_db()
    assert (held.status, held.payment_due_by) == (AppointmentStatus.CANCELLED, None)
    assert _bill(held).patient_due == 0
    assert balances.of_patient(clinic, held.patient_id).owed == 0


# ---------------------------------------------------------------- the visit


def _check_in(receptionist, appointment):
    return frontdesk.check_in(actor=actor_for(receptionist), appointment=appointment, confirm=True)


def test_the_visit_of_a_prepaid_booking_is_not_charged_its_consultation_again(
    held, clinic, receptionist
):
    assert _callback(clinic, _bill(held).number).status_code == 200
    held.refresh_from_db()
    _check_in(receptionist, held)
    rows = Charge.objects.for_clinic(clinic).exclude(status=ChargeStatus.VOID)
    assert [(c.source_kind, c.amount) for c in rows] == [("appointment", FEE)]


def test_where_the_consultation_is_charged_when_it_starts_the_prepaid_visit_is_not_either(
    held, clinic, receptionist, doctor, cardiologist
):
    rules = prices.settings_of(clinic)
    rules.consultation_charged_at = ConsultationChargedAt.START
    rules.save()
    assert _callback(clinic, _bill(held).number).status_code == 200
    held.refresh_from_db()
    _check_in(receptionist, held)
    entry = frontdesk.call_next(actor=actor_for(doctor), practitioner=cardiologist)
    open_encounter(actor=actor_for(doctor), entry=entry)
    rows = Charge.objects.for_clinic(clinic).exclude(status=ChargeStatus.VOID)
    assert [c.source_kind for c in rows] == ["appointment"]


@pytest.fixture
def follow_up_priced(cardiologist):
    cardiologist.follow_up_fee = Decimal("300.00")
    cardiologist.follow_up_days = 14
    cardiologist.save()  # keep_fees prices FOLLOWUP-<id>
    return cardiologist


def _seen_at_the_desk(receptionist, patient, doctor, when):
    """Booked at the desk (no fee online) and checked in: its consultation is charged."""
    booked = services.book_appointment(
        actor=actor_for(receptionist), patient=patient, practitioner=doctor, starts_at=when
    )
    _check_in(receptionist, booked)
    return (
        Charge.objects.for_clinic(patient.clinic)
        .filter(source_kind=charges.CONSULTATION.key, source_id__isnull=False)
        .latest("pk")
    )


def test_a_booking_fee_released_unpaid_does_not_make_the_next_visit_a_follow_up(
    held, follow_up_priced, receptionist, priya, next_monday, at
):
    _past_its_time(held)
    assert tasks.release_unpaid_bookings() == 1  # never paid; its bill credited in full
    charged = _seen_at_the_desk(receptionist, priya, follow_up_priced, at(next_monday, 10, 0))
    assert charged.amount == FEE  # the full fee: no consultation was had, nor paid


def test_a_paid_booking_fee_still_makes_the_next_visit_a_follow_up(
    held, follow_up_priced, receptionist, priya, next_monday, at, clinic
):
    assert _callback(clinic, _bill(held).number).status_code == 200
    charged = _seen_at_the_desk(receptionist, priya, follow_up_priced, at(next_monday, 10, 0))
    assert charged.amount == Decimal("300.00")


def test_a_fee_credited_back_after_payment_no_longer_pays_the_visit(
    held, clinic, receptionist, manager
):
    from clinicflow.billing import invoices

    assert _callback(clinic, _bill(held).number).status_code == 200
    invoices.credit(actor=actor_for(manager), invoice=_bill(held), reason="Goodwill refund")
    assert balances.of_patient(clinic, held.patient_id).credit == FEE  # the patient holds it
    held.refresh_from_db()
    assert held.status == AppointmentStatus.BOOKED
    _check_in(receptionist, held)
    charged = Charge.objects.for_clinic(clinic).get(source_kind=charges.CONSULTATION.key)
    assert charged.amount == FEE  # charged in full, not as a follow-up of its own fee


def test_a_fee_credited_back_in_part_still_pays_the_visit(held, clinic, receptionist, manager):
    from clinicflow.billing import invoices

    assert _callback(clinic, _bill(held).number).status_code == 200
    line = _bill(held).lines.get()
    invoices.credit(
        actor=actor_for(manager), invoice=_bill(held), reason="Kept waiting", lines={line.pk: "100"}
    )
    held.refresh_from_db()
    _check_in(receptionist, held)
    assert not Charge.objects.for_clinic(clinic).filter(source_kind=charges.CONSULTATION.key)


def test_a_visit_booked_without_the_fee_is_charged_at_check_in_as_before(
    family, priya, cardiologist, next_monday, at, receptionist, clinic
):
    booked = _book(family, priya, cardiologist, at(next_monday, 9, 20))
    services.change_status(
        actor=actor_for(receptionist), appointment=booked, to_status=AppointmentStatus.BOOKED
    )
    _check_in(receptionist, booked)
    charged = Charge.objects.for_clinic(clinic).get()
    assert (charged.source_kind, charged.amount) == (charges.CONSULTATION.key, FEE)


# ---------------------------------------------------------------- who may


def test_another_family_and_the_staff_cannot_see_the_held_bill_or_booking(
    held, other_family, receptionist, sign_in
):
    bill = _bill(held)
    stranger = sign_in(other_family)
    assert stranger.get(reverse("portal:bills_invoice", args=[bill.pk])).status_code == 404
    assert stranger.get(reverse("portal:appointment_cancel", args=[held.pk])).status_code == 404
    assert bill.number not in stranger.get(reverse("portal:appointments")).content.decode()
    desk = sign_in(receptionist)
    assert desk.get(reverse("portal:appointments")).status_code == 403
    with pytest.raises(DomainError):
        booking.cancel_online(actor=actor_for(other_family), appointment=held)
    held.refresh_from_db()
    assert held.status == AppointmentStatus.REQUESTED


# ---------------------------------------------------------------- how many held at once


def test_an_account_holds_at_most_two_unpaid_bookings_across_its_family(
    held, family, priya, anjali, cardiologist, next_monday, at, clinic
):
    _book(family, anjali, cardiologist, at(next_monday, 10, 0))  # the second, for her child
    with pytest.raises(LimitReached) as refused:
        _book(family, priya, cardiologist, at(next_monday, 11, 0))
    assert refused.value.code == "unpaid_holds"
    assert "waiting for payment" in refused.value.message
    assert Appointment.objects.for_clinic(clinic).count() == 2  # nothing saved
    assert Invoice.objects.for_clinic(clinic).count() == 2  # no third number taken
    # Paying one frees a place.
    assert _callback(clinic, _bill(held).number).status_code == 200
    third = _book(family, priya, cardiologist, at(next_monday, 11, 0))
    assert third.payment_due_by is not None


def test_another_accounts_holds_do_not_count_against_this_one(
    held, family, anjali, other_family, stranger, cardiologist, next_monday, at
):
    _book(family, anjali, cardiologist, at(next_monday, 10, 0))
    theirs = _book(other_family, stranger, cardiologist, at(next_monday, 11, 0))
    assert theirs.payment_due_by is not None


def test_the_limit_holds_on_the_api_too(
    held, family, priya, anjali, cardiologist, next_monday, at, sign_in, clinic
):
    _book(family, anjali, cardiologist, at(next_monday, 10, 0))
    answer = sign_in(family).post(
        reverse("api:portal-appointments", kwargs={"member": priya.pk}),
        {
            "practitioner": cardiologist.pk,
            "starts_at": at(next_monday, 11, 0).isoformat(),
            "reason": "Chest pain on the stairs",
        },
        content_type="application/json",
    )
    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "unpaid_holds"
    assert Appointment.objects.for_clinic(clinic).count() == 2


def test_without_the_fee_online_bookings_are_not_limited_by_it(
    family, priya, anjali, cardiologist, next_monday, at
):
    for hour in (9, 10, 11):
        booked = _book(family, priya if hour % 2 else anjali, cardiologist, at(next_monday, hour))
        assert booked.payment_due_by is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_bookings_at_once_by_one_account_do_not_pass_the_limit(
    held, family, priya, anjali, cardiologist, next_monday, at, clinic
):
    members, hours = [priya, anjali], [10, 11]

    def book(n: int) -> object:
        return _book(family, members[n], cardiologist, at(next_monday, hours[n], 0))

    done, errors = at_once(book, 2)
    assert len(done) == 1
    assert [type(e) for e in errors] == [LimitReached]
    held_now = Appointment.objects.for_clinic(clinic).filter(payment_due_by__isnull=False)
    assert held_now.count() == 2


# ---------------------------------------------------------------- the race


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_payment_and_the_release_at_once_end_paid_and_booked_or_released_with_credit(
    held, clinic
):
    bill = _bill(held)
    _past_its_time(held)
    callback = GatewayCallback(
        provider="signed",
        provider_reference="TX-RACE",
        bill_number=bill.number,
        amount=FEE,
        currency="NPR",
        paid_at=None,
        raw={},
    )

    def work(n: int) -> object:
        if n == 0:
            return payments.record_gateway_payment(clinic=clinic, callback=callback)
        return tasks.release_unpaid_bookings()

    _done, errors = at_once(work, 2)
    assert errors == []
    held.refresh_from_db()
    bill.refresh_from_db()
    payment = Payment.objects.for_clinic(clinic).get()  # the money is recorded once
    credit_notes = Invoice.objects.for_clinic(clinic).filter(kind=InvoiceKind.CREDIT_NOTE)
    if held.status == AppointmentStatus.BOOKED:
        assert (payment.purpose, bill.paid, bill.patient_due) == (PaymentPurpose.INVOICE, FEE, 0)
        assert not credit_notes.exists()
        assert balances.of_patient(clinic, held.patient_id).credit == 0
    else:
        assert held.status == AppointmentStatus.CANCELLED
        assert (payment.purpose, bill.paid, bill.patient_due) == (PaymentPurpose.DEPOSIT, 0, 0)
        assert credit_notes.count() == 1
        assert balances.of_patient(clinic, held.patient_id).credit == FEE
