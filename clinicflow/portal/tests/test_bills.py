"""Bills in the portal: the member's invoices, payments and balance, an invoice with its
payment QR while something is due, invoice and receipt PDFs; each read audited."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from clinicflow.billing import prices
from clinicflow.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def qr_ready(clinic):
    rules = prices.settings_of(clinic)
    rules.qr_merchant_name = "Himalaya Family Clinic"
    rules.qr_merchant_city = "Kathmandu"
    rules.qr_account_guid = "np.com.nepalpay"
    rules.qr_account_id = "9800000001"
    rules.save()
    return clinic


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_bills_page_shows_the_balance_bills_and_payments(family, priya_day, sign_in):
    page = sign_in(family).get(reverse("portal:bills"))
    assert page.status_code == 200
    text = page.content.decode()
    assert priya_day.invoice.number in text
    assert priya_day.payment.number in text
    assert page.context["balance"].net == priya_day.invoice.patient_due
    assert b'data-testid="balance-due"' in page.content


def test_a_childs_bills_are_its_own(family, priya_day, anjali_day, sign_in):
    client = sign_in(family)
    client.post(reverse("portal:select", args=[anjali_day.patient.pk]))
    page = client.get(reverse("portal:bills"))
    assert [i.pk for i in page.context["page"]] == [anjali_day.invoice.pk]
    assert priya_day.invoice.number not in page.content.decode()


def test_an_invoice_with_something_due_carries_its_payment_qr(family, priya_day, qr_ready, sign_in):
    page = sign_in(family).get(reverse("portal:bills_invoice", args=[priya_day.invoice.pk]))
    assert page.status_code == 200
    assert page.context["payable"]
    assert b'data-testid="invoice-qr"' in page.content
    assert "Nebulisation" in page.content.decode()
    assert "300.00" in page.content.decode()  # 500 less the 200 paid


def test_without_a_qr_merchant_the_invoice_says_to_pay_at_the_desk(family, priya_day, sign_in):
    page = sign_in(family).get(reverse("portal:bills_invoice", args=[priya_day.invoice.pk]))
    assert page.context["qr"] is None
    assert b'data-testid="no-qr"' in page.content


def test_the_invoice_pdf_carries_the_payment_code_for_what_is_due(
    family, priya_day, qr_ready, sign_in
):
    response = sign_in(family).get(reverse("portal:bills_invoice_pdf", args=[priya_day.invoice.pk]))
    text = pdf_text(response)
    assert priya_day.invoice.number in text
    assert "Nebulisation" in text
    reader = PdfReader(io.BytesIO(response.content))
    codes = []
    for image in reader.pages[0].images:
        codes += [c.text for c in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))]
    assert any("300.00" in code for code in codes), codes  # the EMVCo payload asks what is due


def test_the_receipt_pdf_downloads(family, priya_day, sign_in):
    text = pdf_text(
        sign_in(family).get(reverse("portal:bills_receipt_pdf", args=[priya_day.payment.pk]))
    )
    assert priya_day.payment.number in text
    assert "200.00" in text


@pytest.mark.parametrize(
    ("name", "obj", "part"),
    [
        ("portal:bills", None, "bills"),
        ("portal:bills_invoice", "invoice", "invoice"),
        ("portal:bills_invoice_pdf", "invoice", "invoice"),
        ("portal:bills_receipt_pdf", "payment", "receipt"),
    ],
)
def test_each_read_of_a_bill_is_audited(family, priya_day, sign_in, name, obj, part):
    clinic = priya_day.patient.clinic
    reads = AuditEvent.objects.for_clinic(clinic).filter(
        action=AuditAction.VIEW, changes__part=part, changes__via="portal", actor=family
    )
    args = [getattr(priya_day, obj).pk] if obj else []
    assert sign_in(family).get(reverse(name, args=args)).status_code == 200
    event = reads.get()
    named = event.object_id if event.object_type == "patients.patient" else event.changes["patient"]
    assert named == str(priya_day.patient.pk)
