"""Any sequence of receipts, dispenses, adjustments, write-offs and returns leaves every batch's
quantity equal to the sum of its ledger, never below zero, and equal to what a plain model of
the same operations predicts (first expiring batch first for dispensing). Hypothesis drives the
sequences; each one runs in a savepoint rolled back at its end."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import Conflict
from clinicflow.pharmacy import dispensing, stock
from clinicflow.pharmacy.models import StockBatch
from clinicflow.pharmacy.tests.conftest import PRESCRIBED, in_days

pytestmark = pytest.mark.django_db

#: Batch numbers and their expiry (days ahead): FEFO order is B0, B1, B2.
BATCHES = {"B0": 20, "B1": 200, "B2": 400}
quantities = st.integers(min_value=1, max_value=30)


def test_ledger_equals_on_hand_after_any_sequence(pharmacist, amoxicillin, issue):
    prescription = issue({**PRESCRIBED, "quantity": "10000"})
    dispensing.review(actor=actor_for(pharmacist), prescription=prescription)
    item = prescription.items.get()
    actor = actor_for(pharmacist)
    invoices = iter(range(1, 10**6))

    class Ledger(RuleBasedStateMachine):
        @initialize()
        def begin(self) -> None:
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()
            self.expected: dict[str, Decimal] = {}
            self.given: list[tuple[object, str, Decimal]] = []  # (dispense, batch, returnable)

        def teardown(self) -> None:
            if hasattr(self, "savepoint"):
                transaction.set_rollback(True)
                self.savepoint.__exit__(None, None, None)

        def batch(self, number: str) -> StockBatch:
            return StockBatch.objects.get(medicine=amoxicillin, batch_number=number)

        @rule(number=st.sampled_from(sorted(BATCHES)), quantity=st.integers(1, 60))
        def receive(self, number: str, quantity: int) -> None:
            stock.receive(
                actor=actor,
                supplier="Hypothesis Ltd",
                invoice_number=f"H-{next(invoices)}",
                lines=[
                    {
                        "medicine": amoxicillin,
                        "batch_number": number,
                        "expiry_date": in_days(BATCHES[number]),
                        "quantity": quantity,
                        "cost_price": "0.10",
                    }
                ],
            )
            self.expected[number] = self.expected.get(number, Decimal(0)) + quantity

        @rule(quantity=quantities)
        def dispense(self, quantity: int) -> None:
            total = sum(self.expected.values(), Decimal(0))
            if quantity > total:
                with pytest.raises(Conflict):
                    dispensing.dispense(actor=actor, item=item, quantity=quantity)
                return
            rows = dispensing.dispense(actor=actor, item=item, quantity=quantity)
            left = Decimal(quantity)
            for number in sorted(BATCHES, key=BATCHES.get):  # first expiring first
                take = min(self.expected.get(number, Decimal(0)), left)
                if take:
                    self.expected[number] -= take
                    left -= take
            assert sum(r.quantity for r in rows) == quantity
            self.given += [(r, r.batch.batch_number, r.quantity) for r in rows]

        @precondition(lambda self: self.expected)
        @rule(data=st.data(), change=st.integers(min_value=-40, max_value=40).filter(bool))
        def adjust(self, data: st.DataObject, change: int) -> None:
            number = data.draw(st.sampled_from(sorted(self.expected)))
            if self.expected[number] + change < 0:
                with pytest.raises(Conflict):
                    stock.adjust(actor=actor, batch=self.batch(number), quantity=change, reason="x")
                return
            stock.adjust(actor=actor, batch=self.batch(number), quantity=change, reason="count")
            self.expected[number] += change

        @precondition(lambda self: self.expected)
        @rule(data=st.data())
        def write_off(self, data: st.DataObject) -> None:
            number = data.draw(st.sampled_from(sorted(self.expected)))
            if not self.expected[number]:
                with pytest.raises(Conflict):
                    stock.write_off(actor=actor, batch=self.batch(number), reason="damaged")
                return
            stock.write_off(actor=actor, batch=self.batch(number), reason="damaged")
            self.expected[number] = Decimal(0)

        @precondition(lambda self: any(left for _d, _n, left in self.given))
        @rule(data=st.data())
        def take_back(self, data: st.DataObject) -> None:
            open_ = [i for i, (_d, _n, left) in enumerate(self.given) if left]
            index = data.draw(st.sampled_from(open_))
            dispense, number, returnable = self.given[index]
            quantity = data.draw(st.integers(min_value=1, max_value=int(returnable) + 2))
            if quantity > returnable:
                with pytest.raises(stock.DomainError):
                    stock.return_to_stock(
                        actor=actor, dispense=dispense, quantity=quantity, reason="unopened"
                    )
                return
            stock.return_to_stock(actor=actor, dispense=dispense, quantity=quantity, reason="ok")
            self.given[index] = (dispense, number, returnable - quantity)
            self.expected[number] += quantity

        @invariant()
        def ledger_is_on_hand(self) -> None:
            if not hasattr(self, "expected"):
                return
            for row in StockBatch.objects.filter(medicine=amoxicillin):
                ledger = sum((m.quantity for m in row.movements.all()), Decimal(0))
                assert row.on_hand == ledger == self.expected[row.batch_number]
                assert row.on_hand >= 0
            assert stock.available(amoxicillin) == sum(self.expected.values(), Decimal(0))

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=25,
            stateful_step_count=12,
            deadline=None,
            verbosity=__import__("hypothesis").Verbosity.verbose,
        ),
    )
