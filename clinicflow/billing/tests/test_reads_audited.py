"""A patient's bill is their data: opening it, an invoice, a printout, the desk's lists or a
report that names patients is a read in the audit trail, naming the patients shown."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import invoices
from clinicflow.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def reads(part):
    return AuditEvent.objects.all_clinics().filter(action=AuditAction.VIEW, changes__part=part)


@pytest.fixture
def issued(cashier, billing_patient, charged):
    return invoices.invoice_now(actor=actor_for(cashier), patient=billing_patient)


def test_opening_a_bill_and_an_invoice_is_audited(cashier, sign_in, billing_patient, issued):
    client = sign_in(cashier)
    client.get(reverse("billing:patient", args=[billing_patient.pk]))
    client.get(reverse("billing:invoice", args=[issued.pk]))
    client.get(reverse("billing:invoice_print", args=[issued.pk]))
    assert reads("billing.bill").get().object_id == str(billing_patient.pk)
    assert reads("billing.invoice").get().changes["patient"] == str(billing_patient.pk)
    assert reads("billing.invoice.print").count() == 1


def test_the_desk_names_the_patients_it_showed(cashier, sign_in, billing_patient, charged):
    sign_in(cashier).get(reverse("billing:desk"))
    assert reads("billing.desk").get().changes["patients"] == [str(billing_patient.pk)]


def test_an_empty_desk_writes_no_read(cashier, sign_in):
    sign_in(cashier).get(reverse("billing:desk"))
    assert not reads("billing.desk").exists()


def test_a_report_that_names_patients_audits_them(manager, sign_in, billing_patient, issued):
    sign_in(manager).get(reverse("billing:report_outstanding"))
    assert reads("billing.report.outstanding").get().changes["patients"] == [
        str(billing_patient.pk)
    ]
