"""Merging a duplicate patient: unbilled charges move to the survivor; a record with bills
(invoices, payments, ledger rows, which never change) is not merged."""

from __future__ import annotations

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import invoices
from clinicflow.billing.models import Charge, Invoice
from clinicflow.core.errors import Conflict
from clinicflow.patients.services import merge_patients


@pytest.fixture
def survivor(register):
    return register(given_name="Sita", family_name="Gurung-Rai", phone="9841000002")


def test_a_merge_moves_unbilled_charges(manager, billing_patient, charged, survivor):
    merge_patients(
        actor=actor_for(manager), duplicate=billing_patient, survivor=survivor, reason="same"
    )
    assert set(Charge.objects.values_list("patient_id", flat=True)) == {survivor.pk}


def test_a_record_with_an_issued_invoice_is_not_merged(
    manager, cashier, billing_patient, charged, survivor
):
    issued = invoices.invoice_now(actor=actor_for(cashier), patient=billing_patient)
    with pytest.raises(Conflict):
        merge_patients(
            actor=actor_for(manager), duplicate=billing_patient, survivor=survivor, reason="same"
        )
    assert Invoice.objects.get(pk=issued.pk).patient_id == billing_patient.pk
    billing_patient.refresh_from_db()
    assert billing_patient.is_active
