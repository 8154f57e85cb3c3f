"""Charges are captured where the service happens: the consultation at check-in (or when it
starts), each dispense at its batch's price, a return as a negative charge; a cancelled visit
voids its unbilled charge; a source is charged once; manual charges come from the price list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import charges, prices
from clinicflow.billing.models import Charge, ChargeStatus, ConsultationChargedAt, PriceItem
from clinicflow.clinical.services import open_encounter
from clinicflow.core.errors import DomainError
from clinicflow.frontdesk import services as frontdesk
from clinicflow.frontdesk.models import QueueStatus
from clinicflow.pharmacy import dispensing
from clinicflow.pharmacy import stock as pharmacy_stock
from clinicflow.pharmacy.tests.conftest import (  # noqa: F401  (shared fixtures)
    amoxicillin,
    batch,
    encounter,
    icd10,
    issue,
    medicines,
    patient,
    practitioner,
    receive,
    visit,
)
from clinicflow.scheduling.services import create_practitioner


@pytest.fixture
def gp(doctor, manager):  # a doctor with a fee of 500 and follow-ups at 200 within 7 days
    return create_practitioner(
        actor=actor_for(manager),
        user=doctor,
        specialization="GP",
        details={"consultation_fee": "500", "follow_up_fee": "200", "follow_up_days": "7"},
    )


def consultation_charges(patient_id):
    return Charge.objects.filter(patient_id=patient_id, source_kind="consultation")


def test_a_doctors_fees_become_priced_services(gp, clinic):
    first, follow_up = charges.consultation_codes(gp.pk)
    items = {i.code: i for i in PriceItem.objects.filter(clinic=clinic)}
    assert prices.price_of(items[first], clinic.local_date()) == Decimal("500.00")
    assert prices.price_of(items[follow_up], clinic.local_date()) == Decimal("200.00")


def test_check_in_charges_the_doctors_fee_and_a_second_visit_the_follow_up_fee(
    gp, receptionist, doctor, register
):
    person = register()
    desk = actor_for(receptionist)
    entry = frontdesk.add_walk_in(actor=desk, patient=person, practitioner=gp)
    charge = consultation_charges(person.pk).get()
    assert (charge.amount, charge.source_id, charge.performer) == (
        Decimal("500.00"),
        str(entry.pk),
        doctor,
    )
    called = frontdesk.call_next(actor=actor_for(doctor), practitioner=gp)
    frontdesk.move(actor=actor_for(doctor), entry=called, to_status=QueueStatus.DONE)
    frontdesk.add_walk_in(actor=desk, patient=person, practitioner=gp)
    amounts = sorted(consultation_charges(person.pk).values_list("amount", flat=True))
    assert amounts == [Decimal("200.00"), Decimal("500.00")]


def test_a_cancelled_visit_voids_its_unbilled_charge(gp, receptionist, register):
    person = register()
    desk = actor_for(receptionist)
    entry = frontdesk.add_walk_in(actor=desk, patient=person, practitioner=gp)
    frontdesk.move(actor=desk, entry=entry, to_status=QueueStatus.CANCELLED, reason="Went home")
    charge = consultation_charges(person.pk).get()
    assert (charge.status, charge.void_reason) == (ChargeStatus.VOID, "Went home")


def test_where_the_clinic_charges_at_the_start_check_in_charges_nothing(
    gp,
    receptionist,
    doctor,
    register,
    clinic,
    icd10,  # noqa: F811
):
    settings = prices.settings_of(clinic)
    settings.consultation_charged_at = ConsultationChargedAt.START
    settings.save()
    person = register()
    frontdesk.add_walk_in(actor=actor_for(receptionist), patient=person, practitioner=gp)
    assert not consultation_charges(person.pk).exists()
    entry = frontdesk.call_next(actor=actor_for(doctor), practitioner=gp)
    open_encounter(actor=actor_for(doctor), entry=entry)
    assert consultation_charges(person.pk).get().source_id == str(entry.pk)


def test_starting_the_consultation_after_check_in_does_not_charge_it_twice(
    gp,
    receptionist,
    doctor,
    register,
    icd10,  # noqa: F811
):
    person = register()
    frontdesk.add_walk_in(actor=actor_for(receptionist), patient=person, practitioner=gp)
    entry = frontdesk.call_next(actor=actor_for(doctor), practitioner=gp)
    open_encounter(actor=actor_for(doctor), entry=entry)
    assert consultation_charges(person.pk).count() == 1


def test_the_database_charges_a_source_once(cashier, billing_patient, clinic):
    row = {
        "clinic": clinic,
        "patient": billing_patient,
        "source_kind": "consultation",
        "source_id": "visit-1",
        "description": "Consultation",
        "quantity": 1,
        "unit_price": 500,
        "amount": 500,
        "charged_by": cashier,
    }
    Charge.objects.create(**row)
    with pytest.raises(IntegrityError), transaction.atomic():
        Charge.objects.create(**row)


def test_each_dispense_is_charged_at_its_batch_price_and_a_return_gives_it_back(
    issue,  # noqa: F811
    amoxicillin,  # noqa: F811
    receive,  # noqa: F811
    pharmacist,
):
    receive((amoxicillin, "A1", 200, 100))
    prescription = issue()
    item = prescription.items.get()
    dispensing.review(actor=actor_for(pharmacist), prescription=prescription)
    (given,) = dispensing.dispense(actor=actor_for(pharmacist), item=item)
    charge = Charge.objects.get(source_kind="pharmacy.dispense")
    assert (charge.quantity, charge.unit_price, charge.amount) == (
        Decimal("15.00"),
        Decimal("1.00"),
        Decimal("15.00"),
    )
    assert charge.source_id == str(given.pk)
    pharmacy_stock.return_to_stock(
        actor=actor_for(pharmacist), dispense=given, quantity="5", reason="Unopened strip"
    )
    back = Charge.objects.get(source_kind="pharmacy.return")
    assert (back.quantity, back.amount, back.reverses) == (
        Decimal("-5.00"),
        Decimal("-5.00"),
        charge,
    )


def test_a_manual_charge_comes_from_the_price_list(receptionist, billing_patient, services):
    charge = charges.add_manual(
        actor=actor_for(receptionist), patient=billing_patient, item=services["DRESS"], quantity=2
    )
    assert (charge.amount, charge.source_kind) == (Decimal("700.00"), "manual")


@pytest.mark.parametrize("quantity", ["0", "-1", "abc", "1.234", "5000"])
def test_a_manual_charge_of_a_bad_quantity_is_refused(
    receptionist, billing_patient, services, quantity
):
    with pytest.raises(DomainError):
        charges.add_manual(
            actor=actor_for(receptionist),
            patient=billing_patient,
            item=services["DRESS"],
            quantity=quantity,
        )
    assert not Charge.objects.exists()


def test_a_doctor_cannot_add_charges(doctor, billing_patient, services):
    with pytest.raises(DomainError):
        charges.add_manual(actor=actor_for(doctor), patient=billing_patient, item=services["DRESS"])
    assert not Charge.objects.exists()


def test_another_clinics_price_item_is_refused(
    receptionist, billing_patient, other_clinic, other_clinic_manager
):
    theirs = prices.create_item(
        actor=actor_for(other_clinic_manager),
        code="X",
        name="Their dressing",
        kind="procedure",
        amount="10",
        valid_from=other_clinic.local_date(),
    )
    with pytest.raises(DomainError):
        charges.add_manual(actor=actor_for(receptionist), patient=billing_patient, item=theirs)


def test_a_void_needs_a_reason_and_an_unbilled_charge(cashier, charged):
    actor = actor_for(cashier)
    with pytest.raises(DomainError):
        charges.void(actor=actor, charge=charged[0], reason=" ")
    voided = charges.void(actor=actor, charge=charged[0], reason="Added by mistake")
    assert voided.status == ChargeStatus.VOID


def test_a_new_price_never_changes_an_existing_charge(manager, charged, services, clinic):
    from datetime import timedelta

    prices.set_price(
        actor=actor_for(manager),
        item=services["DRESS"],
        amount="400",
        valid_from=clinic.local_date() + timedelta(days=1),
    )
    charged[0].refresh_from_db()
    assert charged[0].unit_price == Decimal("350.00")
    tomorrow = clinic.local_date() + timedelta(days=1)
    assert prices.price_of(services["DRESS"], tomorrow) == Decimal("400.00")
    assert prices.price_of(services["DRESS"], clinic.local_date()) == Decimal("350.00")


def test_a_credit_note_for_a_returned_medicine_gives_it_back_once(
    issue,  # noqa: F811
    amoxicillin,  # noqa: F811
    receive,  # noqa: F811
    pharmacist,
    cashier,
):
    from clinicflow.billing import invoices

    receive((amoxicillin, "A1", 200, 100))
    prescription = issue()
    dispensing.review(actor=actor_for(pharmacist), prescription=prescription)
    (given,) = dispensing.dispense(actor=actor_for(pharmacist), item=prescription.items.get())
    bill = invoices.invoice_now(actor=actor_for(cashier), patient=given.patient)
    pharmacy_stock.return_to_stock(
        actor=actor_for(pharmacist), dispense=given, quantity="5", reason="Unopened strip"
    )
    line = bill.lines.get(charge__source_kind="pharmacy.dispense")
    # The cashier enters what came back on the medicine's line: 5 of 15 at 1.00.
    note = invoices.credit(
        actor=actor_for(cashier), invoice=bill, reason="Returned", lines={line.pk: "5.00"}
    )
    assert note.total == Decimal("5.00")
    assert Charge.objects.get(source_kind="pharmacy.return").status == ChargeStatus.BILLED
