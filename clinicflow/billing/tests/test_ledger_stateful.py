"""Any sequence of charges, invoices, credit notes, payments, deposits, uses of credit and
refunds leaves every balance equal to the sum of its ledger rows, and equal to what a plain
model of the same operations predicts: what each invoice still asks, what the patient owes
and holds, the cash in the shift. Hypothesis drives the sequences; each runs in a savepoint
rolled back at its end."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
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
from clinicflow.billing import balances, charges, invoices, payments, shifts
from clinicflow.billing.models import Invoice, InvoiceKind, InvoiceStatus, LedgerEntry, Method
from clinicflow.core.errors import DomainError

pytestmark = pytest.mark.django_db

amounts = st.integers(min_value=1, max_value=2000).map(lambda c: Decimal(c) / 4)  # 0.25 steps
quantities = st.integers(min_value=1, max_value=3)


def test_every_balance_equals_its_ledger_after_any_sequence(
    cashier, billing_patient, services, clinic
):
    actor = actor_for(cashier)

    class Books(RuleBasedStateMachine):
        @initialize()
        def begin(self) -> None:
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()
            self.shift = shifts.open_shift(actor=actor, opening_float="100")
            self.due: dict[int, Decimal] = {}  # invoice → what the patient still owes
            self.credit = Decimal("0.00")
            self.cash = Decimal("0.00")

        def teardown(self) -> None:
            if hasattr(self, "savepoint"):
                transaction.set_rollback(True)
                self.savepoint.__exit__(None, None, None)

        @rule(code=st.sampled_from(["DRESS", "CERT", "REG"]), quantity=quantities)
        def charge(self, code: str, quantity: int) -> None:
            charges.add_manual(
                actor=actor, patient=billing_patient, item=services[code], quantity=quantity
            )

        @rule()
        def invoice(self) -> None:
            try:
                made = invoices.invoice_now(actor=actor, patient=billing_patient)
            except DomainError:
                return  # nothing to invoice
            self.due[made.pk] = made.total

        def _open(self) -> list[int]:
            return [pk for pk, due in self.due.items() if due > 0]

        @precondition(lambda self: self._open())
        @rule(data=st.data(), split=st.booleans())
        def pay(self, data: st.DataObject, split: bool) -> None:
            pk = data.draw(st.sampled_from(self._open()))
            amount = min(data.draw(amounts), self.due[pk])
            tenders = [payments.TenderIn(Method.CASH, amount)]
            if split and amount >= Decimal("0.02"):
                half = (amount / 2).quantize(Decimal("0.01"))
                tenders = [
                    payments.TenderIn(Method.CASH, half),
                    payments.TenderIn(Method.QR, amount - half, "QR-1"),
                ]
            payments.pay(actor=actor, invoice=Invoice.objects.get(pk=pk), tenders=tenders)
            self.due[pk] -= amount
            self.cash += amount

        @precondition(lambda self: self.due)
        @rule(data=st.data())
        def credit_note(self, data: st.DataObject) -> None:
            pk = data.draw(st.sampled_from(sorted(self.due)))
            invoice = Invoice.objects.get(pk=pk)
            line = data.draw(st.sampled_from(list(invoice.lines.all())))
            left = line.total - invoices.credited_so_far([line.pk]).get(line.pk, Decimal(0))
            if left <= 0:
                return
            amount = min(data.draw(amounts), left)
            invoices.credit(actor=actor, invoice=invoice, reason="Test", lines={line.pk: amount})
            excess = max(Decimal(0), amount - self.due[pk])
            self.due[pk] -= amount - excess
            self.credit += excess

        @rule(amount=amounts)
        def deposit(self, amount: Decimal) -> None:
            payments.deposit(
                actor=actor,
                patient=billing_patient,
                tenders=[payments.TenderIn(Method.CASH, amount)],
            )
            self.credit += amount
            self.cash += amount

        @precondition(lambda self: self.credit > 0 and self._open())
        @rule(data=st.data())
        def use_credit(self, data: st.DataObject) -> None:
            pk = data.draw(st.sampled_from(self._open()))
            amount = min(data.draw(amounts), self.credit, self.due[pk])
            payments.apply_credit(actor=actor, invoice=Invoice.objects.get(pk=pk), amount=amount)
            self.due[pk] -= amount
            self.credit -= amount

        @precondition(lambda self: self.credit > 0)
        @rule(data=st.data())
        def refund(self, data: st.DataObject) -> None:
            amount = min(data.draw(amounts), self.credit, Decimal("1000"))  # within threshold
            payments.refund(actor=actor, patient=billing_patient, amount=amount, reason="Test")
            self.credit -= amount
            self.cash -= amount

        @invariant()
        def balances_agree_with_the_ledger(self) -> None:
            if not hasattr(self, "shift"):
                return
            issued = Invoice.objects.filter(
                kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED, patient=billing_patient
            )
            for invoice in issued:
                assert invoice.patient_due == balances.due_on(invoice) == self.due[invoice.pk]
            balance = balances.of_patient(clinic, billing_patient.pk)
            assert balance.owed == sum(self.due.values(), Decimal("0.00"))
            assert balance.credit == self.credit >= 0
            cash = LedgerEntry.objects.filter(shift=self.shift).aggregate(t=Sum("cash"))["t"]
            assert (cash or Decimal(0)) == self.cash
            assert shifts.summary(self.shift).takings == self.cash

    run_state_machine_as_test(
        Books,
        settings=settings(max_examples=25, stateful_step_count=12, deadline=None),
    )
