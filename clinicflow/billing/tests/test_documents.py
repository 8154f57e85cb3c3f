"""Invoices, credit notes and receipts as PDFs (A4 and the 80 mm roll), and the public page a
printed copy's QR opens to show it is genuine, without saying who the patient is."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import invoices, payments
from clinicflow.billing.gateways import GatewayCallback
from clinicflow.core.bsdates import to_bs
from clinicflow.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

MM = 72 / 25.4  # PDF points in a millimetre


@pytest.fixture
def issued(cashier, billing_patient, charged):
    """The patient's charges invoiced: 926.00 due."""
    return invoices.invoice_now(actor=actor_for(cashier), patient=billing_patient)


@pytest.fixture
def paid(cashier, issued, shift):
    """500.00 of it paid in cash: 426.00 still due."""
    return payments.pay(
        actor=actor_for(cashier), invoice=issued, tenders=[payments.TenderIn("cash", "500.00")]
    )


@pytest.fixture
def credit_note(cashier, issued):
    line = issued.lines.order_by("pk").first()
    return invoices.credit(
        actor=actor_for(cashier),
        invoice=issued,
        reason="One dressing not done",
        lines={line.pk: "350.00"},
    )


def read(response) -> tuple[str, PdfReader]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split()), reader


def images(reader: PdfReader) -> int:
    return sum(len(page.images) for page in reader.pages)


# ---------------------------------------------------------------- invoices


def test_the_invoice_pdf_has_the_clinics_header_the_lines_and_what_is_due(
    cashier, sign_in, qr_clinic, issued, billing_patient
):
    response = sign_in(cashier).get(reverse("billing:invoice_pdf", args=[issued.pk]))
    text, reader = read(response)
    width, _height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert round(float(width) / MM) == 210  # A4
    bs = to_bs(issued.clinic.local_date(issued.issued_at)).format()
    for expected in (
        issued.clinic.name,
        "PAN/VAT 601234567",
        "Tax invoice",
        issued.number,
        f"{bs} BS",
        billing_patient.full_name,
        billing_patient.mrn,
        "Wound dressing",
        "Medical certificate",
        "Unit price",
        "Discount",
        "926.00",
        "Balance due",
        "Scan to pay 926.00 NPR",
    ):
        assert expected in text, expected
    # The payment QR and the verification QR.
    assert images(reader) == 2


def test_the_invoice_pdf_on_the_roll_is_80_mm_wide_and_as_long_as_the_bill(
    cashier, sign_in, issued
):
    response = sign_in(cashier).get(
        reverse("billing:invoice_pdf", args=[issued.pk]), {"layout": "thermal"}
    )
    text, reader = read(response)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert round(float(box.width) / MM) == 80
    assert 80 < float(box.height) / MM < 400
    assert issued.number in text
    assert "926.00" in text
    # No QR merchant set up: only the verification QR.
    assert images(reader) == 1


def test_a_paid_invoice_has_no_payment_qr_but_lists_the_payments(
    cashier, sign_in, qr_clinic, issued, shift
):
    payment = payments.pay(
        actor=actor_for(cashier), invoice=issued, tenders=[payments.TenderIn("cash", "926.00")]
    )
    response = sign_in(cashier).get(reverse("billing:invoice_pdf", args=[issued.pk]))
    text, reader = read(response)
    assert payment.number in text
    assert "Scan to pay" not in text
    assert images(reader) == 1


def test_downloading_the_invoice_pdf_is_audited(cashier, sign_in, issued):
    sign_in(cashier).get(reverse("billing:invoice_pdf", args=[issued.pk]))
    event = AuditEvent.objects.all_clinics().get(action=AuditAction.VIEW, object_id=str(issued.pk))
    assert event.changes["format"] == "pdf"
    assert event.actor == cashier


def test_the_credit_note_pdf_names_the_invoice_it_corrects_and_why(
    cashier, sign_in, issued, credit_note
):
    client = sign_in(cashier)
    for layout in ("a4", "thermal"):
        url = reverse("billing:invoice_pdf", args=[credit_note.pk])
        text, _reader = read(client.get(url, {"layout": layout}))
        assert "Credit note" in text
        assert credit_note.number in text
        assert f"Credits invoice {issued.number}" in text
        assert "One dressing not done" in text
        assert "350.00" in text


def test_a_doctor_may_not_download_an_invoice(doctor, sign_in, issued):
    url = reverse("billing:invoice_pdf", args=[issued.pk])
    assert sign_in(doctor).get(url).status_code == 403


def test_another_clinics_manager_does_not_find_the_invoice_pdf(
    other_clinic_manager, sign_in, issued
):
    url = reverse("billing:invoice_pdf", args=[issued.pk])
    assert sign_in(other_clinic_manager).get(url).status_code == 404


# ---------------------------------------------------------------- receipts


@pytest.mark.parametrize("layout", ["a4", "thermal"])
def test_the_receipt_pdf_says_what_was_paid_and_what_is_left(
    layout, cashier, sign_in, qr_clinic, paid, billing_patient
):
    response = sign_in(cashier).get(
        reverse("billing:receipt_pdf", args=[paid.pk]), {"layout": layout}
    )
    text, reader = read(response)
    width = round(float(reader.pages[0].mediabox.width) / MM)
    assert width == (80 if layout == "thermal" else 210)
    for expected in (
        "Payment receipt",
        paid.number,
        paid.invoice.number,
        billing_patient.full_name,
        billing_patient.mrn,
        "500.00",
        "426.00",
        "PAN/VAT 601234567",
    ):
        assert expected in text, expected
    assert images(reader) == 2  # the balance's payment QR and the verification QR


def test_a_gateways_receipt_beyond_the_bill_says_what_was_kept_as_credit(
    cashier, sign_in, issued, clinic
):
    callback = GatewayCallback(
        provider="signed",
        provider_reference="TX-OVER",
        bill_number=issued.number,
        amount=Decimal("1000.00"),
        currency=clinic.currency,
        paid_at=None,
        raw={},
    )
    payment = payments.record_gateway_payment(clinic=clinic, callback=callback)
    text, _reader = read(
        sign_in(cashier).get(reverse("billing:receipt_pdf", args=[payment.pk]), {"layout": "a4"})
    )
    assert "1,000.00" in text or "1000.00" in text
    assert "Kept on the patient's account 74.00" in text


def test_a_receptionist_may_download_a_receipt_but_a_nurse_may_not(
    receptionist, nurse, sign_in, paid
):
    url = reverse("billing:receipt_pdf", args=[paid.pk])
    assert sign_in(receptionist).get(url).status_code == 200
    assert sign_in(nurse).get(url).status_code == 403


def test_another_clinics_manager_does_not_find_the_receipt_pdf(other_clinic_manager, sign_in, paid):
    url = reverse("billing:receipt_pdf", args=[paid.pk])
    assert sign_in(other_clinic_manager).get(url).status_code == 404


def test_the_print_pages_link_the_pdf_and_carry_the_verification_qr(cashier, sign_in, paid):
    client = sign_in(cashier)
    invoice_page = client.get(reverse("billing:invoice_print", args=[paid.invoice_id])).content
    receipt_page = client.get(
        reverse("billing:receipt_print", args=[paid.pk]), {"layout": "thermal"}
    ).content.decode()
    assert reverse("billing:invoice_pdf", args=[paid.invoice_id]) in invoice_page.decode()
    assert 'data-testid="verify-qr"' in invoice_page.decode()
    assert f"{reverse('billing:receipt_pdf', args=[paid.pk])}?layout=thermal" in receipt_page
    assert 'data-testid="verify-qr"' in receipt_page
    page = client.get(reverse("billing:invoice", args=[paid.invoice_id])).content.decode()
    assert reverse("billing:invoice_pdf", args=[paid.invoice_id]) in page


# ---------------------------------------------------------------- verification


def test_each_document_has_its_own_long_token(issued, paid, credit_note):
    tokens = {issued.verify_token, paid.verify_token, credit_note.verify_token}
    assert len(tokens) == 3
    assert all(len(token) >= 43 for token in tokens)


def test_anyone_can_verify_an_invoice_without_learning_who_the_patient_is(
    client, issued, billing_patient
):
    response = client.get(reverse("billing:verify", args=[issued.verify_token]))
    assert response.status_code == 200
    html = response.content.decode()
    assert issued.number in html
    assert "926.00" in html
    bs = to_bs(issued.clinic.local_date(issued.issued_at)).format()
    assert f"{bs} BS" in html
    for secret in (
        billing_patient.full_name,
        billing_patient.given_name,
        billing_patient.family_name,
        billing_patient.mrn,
        billing_patient.phone,
    ):
        assert secret not in html, secret
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_receipt_is_verified_with_its_amount_and_invoice(client, paid, billing_patient):
    html = client.get(reverse("billing:verify", args=[paid.verify_token])).content.decode()
    assert paid.number in html
    assert "500.00" in html
    assert paid.invoice.number in html
    assert billing_patient.full_name not in html
    assert billing_patient.mrn not in html


def test_a_credit_note_is_verified_with_the_invoice_it_corrects(
    client, issued, credit_note, billing_patient
):
    html = client.get(reverse("billing:verify", args=[credit_note.verify_token])).content.decode()
    assert credit_note.number in html
    assert issued.number in html
    assert "350.00" in html
    assert "One dressing not done" not in html  # the reason may speak of the patient
    assert billing_patient.full_name not in html


def test_the_printed_qr_opens_the_verification_page(cashier, sign_in, issued):
    page = sign_in(cashier).get(reverse("billing:invoice_print", args=[issued.pk]))
    assert page.context["verify_qr"] is not None
    url = reverse("billing:verify", args=[issued.verify_token])
    pdf = sign_in(cashier).get(reverse("billing:invoice_pdf", args=[issued.pk]))
    text, _reader = read(pdf)
    assert f"http://testserver{url}" in text.replace(" ", "")


@pytest.mark.parametrize("token", ["sample", "x" * 43])
def test_an_unknown_token_is_not_found(client, token, issued):
    assert client.get(reverse("billing:verify", args=[token])).status_code == 404


def test_a_draft_is_not_verified(cashier, billing_patient, charged, client):
    draft = invoices.draft(actor=actor_for(cashier), patient=billing_patient)
    assert draft.verify_token
    assert client.get(reverse("billing:verify", args=[draft.verify_token])).status_code == 404


def test_a_signed_in_person_of_another_clinic_verifies_too(other_clinic_manager, sign_in, paid):
    url = reverse("billing:verify", args=[paid.verify_token])
    assert sign_in(other_clinic_manager).get(url).status_code == 200


def test_verification_tokens_are_kept_out_of_the_audit_trail(issued, paid):
    for obj in (issued, paid):
        created = AuditEvent.objects.all_clinics().filter(
            action=AuditAction.CREATE, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        )
        assert created.exists()
        for event in created:
            assert obj.verify_token not in str(event.changes)
