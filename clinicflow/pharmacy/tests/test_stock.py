"""The stock services: goods receipts (all lines or none, one invoice once, a batch delivered
twice), adjustments, counts, write-offs and returns, and the ledger nobody can rewrite."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.pharmacy import dispensing, stock
from clinicflow.pharmacy.models import (
    GoodsReceipt,
    MovementKind,
    StockBatch,
    StockMovement,
)
from clinicflow.pharmacy.tests.conftest import batch, in_days, on_hand_matches_ledger

pytestmark = pytest.mark.django_db


def line(medicine, number="B1", days=200, quantity="10", **extra):
    return {
        "medicine": medicine,
        "batch_number": number,
        "expiry_date": in_days(days),
        "quantity": quantity,
        "cost_price": "0.50",
        **extra,
    }


def receive(user, *lines, supplier="MedSupply", invoice="INV-1"):
    return stock.receive(
        actor=actor_for(user), supplier=supplier, invoice_number=invoice, lines=list(lines)
    )


# ---------------------------------------------------------------- goods receipts


def test_a_receipt_makes_batches_with_receive_rows_and_the_catalogue_price(
    pharmacist, amoxicillin, medicines
):
    paracetamol = medicines[("Paracetamol", "", "500 mg")]
    receipt = receive(
        pharmacist, line(amoxicillin, quantity="100"), line(paracetamol, "P1", sale_price="0.30")
    )
    amox, para = batch(amoxicillin, "B1"), batch(paracetamol, "P1")
    assert amox.on_hand == 100
    assert amox.sale_price == amoxicillin.sale_price
    assert para.sale_price == Decimal("0.30")
    assert para.cost_price == Decimal("0.50")
    rows = list(receipt.movements.order_by("pk"))
    assert [(r.kind, r.quantity, r.balance_after) for r in rows] == [
        (MovementKind.RECEIVE, 100, 100),
        (MovementKind.RECEIVE, 10, 10),
    ]
    on_hand_matches_ledger()


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ({"days": -1}, "expiry_date", "already expired"),
        ({"days": 0}, "expiry_date", "already expired"),
        ({"quantity": "0"}, "quantity", "above zero"),
        ({"quantity": "1.234"}, "quantity", "two decimals"),
        ({"number": " "}, "batch_number", "batch number"),
        ({"cost_price": "-1"}, "cost_price", "zero or more"),
    ],
)
def test_a_bad_line_is_refused_by_number_and_field_and_nothing_is_saved(
    pharmacist, amoxicillin, medicines, bad, field, message
):
    paracetamol = medicines[("Paracetamol", "", "500 mg")]
    second = line(paracetamol, "P1")
    second.update({k: v for k, v in bad.items() if k not in ("days", "number")})
    if "days" in bad:
        second["expiry_date"] = in_days(bad["days"])
    if "number" in bad:
        second["batch_number"] = bad["number"]
    with pytest.raises(DomainError) as refused:
        receive(pharmacist, line(amoxicillin), second)
    assert refused.value.field == f"lines.2.{field}"
    assert refused.value.message.startswith("Line 2:")
    assert message in refused.value.message
    assert not GoodsReceipt.objects.exists()
    assert not StockBatch.objects.exists()
    assert not StockMovement.objects.exists()


def test_a_medicine_of_another_clinic_is_not_in_the_catalogue(
    pharmacist, other_clinic_manager, amoxicillin
):
    from clinicflow.pharmacy import catalogue
    from clinicflow.pharmacy.tests.conftest import CATALOGUE, HEADER

    content = ("\n".join([HEADER, CATALOGUE[0]]) + "\n").encode()
    catalogue.import_csv(actor=actor_for(other_clinic_manager), content=content)
    with pytest.raises(DomainError) as refused:
        receive(other_clinic_manager, line(amoxicillin))
    assert refused.value.field == "lines.1.medicine"
    with pytest.raises(DomainError) as refused:
        receive(pharmacist, line(str(amoxicillin.pk)), line("999999", "X"))
    assert refused.value.field == "lines.2.medicine"
    assert not StockBatch.objects.exists()


def test_the_same_invoice_is_received_once(pharmacist, amoxicillin):
    receive(pharmacist, line(amoxicillin))
    with pytest.raises(Conflict, match="already received"):
        receive(pharmacist, line(amoxicillin, "B2"), supplier="medsupply ", invoice="inv-1")
    assert GoodsReceipt.objects.count() == 1
    assert not StockBatch.objects.filter(batch_number="B2").exists()


def test_a_second_delivery_of_a_batch_adds_to_it(pharmacist, amoxicillin):
    receive(pharmacist, line(amoxicillin, quantity="40"))
    receive(pharmacist, line(amoxicillin, quantity="25"), invoice="INV-2")
    assert StockBatch.objects.count() == 1
    assert batch(amoxicillin, "B1").on_hand == 65
    assert list(StockMovement.objects.values_list("balance_after", flat=True)) == [40, 65]
    on_hand_matches_ledger()


def test_a_second_delivery_at_another_price_averages_the_cost_and_takes_the_new_sale_price(
    pharmacist, amoxicillin
):
    receive(pharmacist, line(amoxicillin, quantity="30", sale_price="1.00"))  # cost 0.50
    receive(
        pharmacist,
        line(amoxicillin, quantity="10", cost_price="0.90", sale_price="1.40"),
        invoice="INV-2",
    )
    again = batch(amoxicillin, "B1")
    assert again.cost_price == Decimal("0.60")  # (30 × 0.50 + 10 × 0.90) / 40
    assert again.sale_price == Decimal("1.40")


def test_a_second_delivery_with_another_expiry_is_refused(pharmacist, amoxicillin, medicines):
    paracetamol = medicines[("Paracetamol", "", "500 mg")]
    receive(pharmacist, line(amoxicillin, days=200))
    with pytest.raises(DomainError) as refused:
        receive(pharmacist, line(paracetamol, "P1"), line(amoxicillin, days=300), invoice="INV-2")
    assert refused.value.field == "lines.2.expiry_date"
    assert "on record with expiry" in refused.value.message
    assert GoodsReceipt.objects.count() == 1
    assert not StockBatch.objects.filter(batch_number="P1").exists()
    assert batch(amoxicillin, "B1").on_hand == 10


def test_a_receipt_needs_supplier_invoice_and_lines(pharmacist, amoxicillin):
    for supplier, invoice, lines, field in (
        (" ", "INV-1", [line(amoxicillin)], "supplier"),
        ("MedSupply", "", [line(amoxicillin)], "invoice_number"),
        ("MedSupply", "INV-1", [], "lines"),
    ):
        with pytest.raises(DomainError) as refused:
            stock.receive(
                actor=actor_for(pharmacist), supplier=supplier, invoice_number=invoice,
                lines=lines,
            )  # fmt: skip
        assert refused.value.field == field
    assert not GoodsReceipt.objects.exists()


def test_only_pharmacists_and_managers_receive(receptionist, doctor, manager, amoxicillin):
    for user in (receptionist, doctor):
        with pytest.raises(DomainError) as refused:
            receive(user, line(amoxicillin))
        assert refused.value.code == "forbidden"
    receive(manager, line(amoxicillin))
    assert GoodsReceipt.objects.get().received_by == manager


# ---------------------------------------------------------------- adjust, count, write off


@pytest.fixture
def b1(pharmacist, amoxicillin):
    receive(pharmacist, line(amoxicillin, quantity="20"))
    return batch(amoxicillin, "B1")


def test_an_adjustment_moves_either_way_with_a_reason(pharmacist, b1):
    actor = actor_for(pharmacist)
    stock.adjust(actor=actor, batch=b1, quantity="-3", reason="Two strips damaged")
    found = stock.adjust(actor=actor, batch=b1, quantity="1", reason="Found on the shelf")
    assert found.kind == MovementKind.ADJUST
    assert found.balance_after == 18
    b1.refresh_from_db()
    assert b1.on_hand == 18
    for quantity, reason, field in (("-1", " ", "reason"), ("0", "x", "quantity")):
        with pytest.raises(DomainError) as refused:
            stock.adjust(actor=actor, batch=b1, quantity=quantity, reason=reason)
        assert refused.value.field == field
    with pytest.raises(Conflict, match="Only 18 left"):
        stock.adjust(actor=actor, batch=b1, quantity="-19", reason="Lost")
    b1.refresh_from_db()
    assert b1.on_hand == 18
    on_hand_matches_ledger()


def test_a_count_sets_the_batch_to_what_is_on_the_shelf(pharmacist, b1):
    actor = actor_for(pharmacist)
    row = stock.count(actor=actor, batch=b1, counted="17", reason="Monthly count")
    assert row is not None
    assert row.quantity == -3
    assert row.balance_after == 17
    assert stock.count(actor=actor, batch=b1, counted="17", reason="Again") is None
    with pytest.raises(DomainError) as refused:
        stock.count(actor=actor, batch=b1, counted="-1", reason="x")
    assert refused.value.field == "counted"
    b1.refresh_from_db()
    assert b1.on_hand == 17
    on_hand_matches_ledger()


def test_an_expired_batch_is_written_off_with_its_date_as_the_reason(pharmacist, b1):
    actor = actor_for(pharmacist)
    StockBatch.objects.filter(pk=b1.pk).update(expiry_date=in_days(-2))
    b1.refresh_from_db()
    row = stock.write_off(actor=actor, batch=b1)
    assert row.kind == MovementKind.WRITE_OFF
    assert row.quantity == -20
    assert row.balance_after == 0
    assert row.reason == f"Expired on {in_days(-2)}"
    with pytest.raises(Conflict, match="Nothing is left"):
        stock.write_off(actor=actor, batch=b1, reason="again")
    on_hand_matches_ledger()


def test_a_batch_in_date_is_written_off_only_with_a_reason(pharmacist, b1):
    actor = actor_for(pharmacist)
    with pytest.raises(DomainError) as refused:
        stock.write_off(actor=actor, batch=b1)
    assert refused.value.field == "reason"
    stock.write_off(actor=actor, batch=b1, reason="Recalled by the maker")
    b1.refresh_from_db()
    assert b1.on_hand == 0


def test_only_the_clinics_stock_keepers_change_a_batch(
    b1, receptionist, doctor, other_clinic_manager
):
    for user in (receptionist, doctor, other_clinic_manager):
        with pytest.raises(DomainError) as refused:
            stock.adjust(actor=actor_for(user), batch=b1, quantity="-1", reason="x")
        assert refused.value.code == "forbidden"
    assert StockMovement.objects.count() == 1


# ---------------------------------------------------------------- returns


def test_a_return_goes_back_into_its_batch_up_to_what_was_given(
    pharmacist, amoxicillin, receive, issue
):
    receive((amoxicillin, "B1", 100, 50))
    prescription = issue()
    actor = actor_for(pharmacist)
    dispensing.review(actor=actor, prescription=prescription)
    [given] = dispensing.dispense(actor=actor, item=prescription.items.get())
    assert batch(amoxicillin, "B1").on_hand == 35
    row = stock.return_to_stock(actor=actor, dispense=given, quantity="5", reason="Unopened")
    assert row.kind == MovementKind.RETURN
    assert row.dispense == given
    assert row.balance_after == 40
    with pytest.raises(DomainError) as refused:
        stock.return_to_stock(actor=actor, dispense=given, quantity="11", reason="Unopened")
    assert refused.value.field == "quantity"
    assert "At most 10" in refused.value.message
    assert stock.returned(given) == 5
    on_hand_matches_ledger()


# ---------------------------------------------------------------- the ledger


def test_a_ledger_row_cannot_be_changed(b1):
    row = StockMovement.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        StockMovement.objects.filter(pk=row.pk).update(quantity=1)
    row.refresh_from_db()
    assert row.quantity == 20
