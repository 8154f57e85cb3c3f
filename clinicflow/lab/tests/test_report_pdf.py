"""The printed lab report: a Nepali name and comment written in Devanagari, each released
result with its unit, flag and the range it was flagged against, amendments with the value
first reported; nothing unverified; and the QR code that opens the public page confirming the
report without naming the patient."""

from __future__ import annotations

import io
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
import zxingcpp
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from clinicflow.accounts.actors import actor_for
from clinicflow.core import pdf
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.lab import orders, results, samples
from clinicflow.lab.models import OrderedTest, Parameter, Result
from clinicflow.lab.tests.conftest import values_for
from tests.factories import member

pytestmark = pytest.mark.django_db

NEPALI_NAME = ("राम", "बहादुर")
FASTING = "खाली पेटमा"
#: Total cholesterol above its 200 mg/dL limit; LDL is calculated (240 - 50 - 100/5 = 170).
HIGH_CHOLESTEROL = {"total_cholesterol": "240", "hdl": "50", "triglycerides": "100"}


@pytest.fixture
def patient(register):
    """Overrides the lab's patient: a Nepali man whose name is written in Devanagari."""
    given, family = NEPALI_NAME
    return register(given_name=given, family_name=family, sex="male", birth_date=date(1978, 4, 2))


@pytest.fixture
def second_technician(clinic):
    return member(Role.LAB_TECHNICIAN, clinic, username="lab2")


@pytest.fixture
def order(doctor, patient, encounter, lipid_profile, creatinine_test, creatinine_ranges):
    return orders.place(
        actor=actor_for(doctor),
        patient=patient,
        tests=[lipid_profile, creatinine_test],
        urgency="routine",
        clinical_note="",
        encounter=encounter,
    )


def ordered(order, code) -> OrderedTest:
    return OrderedTest.objects.get(order=order, test__code=code)


def enter(technician, ordered_test, comments=None, **values):
    results.enter(
        actor=actor_for(technician),
        ordered_test=ordered_test,
        values=values_for(ordered_test.test, **values),
        comments=comments,
    )
    return OrderedTest.objects.get(pk=ordered_test.pk)


@pytest.fixture
def released(order, nurse, lab_technician, second_technician):
    """The lipid profile verified (with a comment in Nepali); the creatinine only entered."""
    samples.collect(
        actor=actor_for(nurse), order=order, collected_at=timezone.now() - timedelta(minutes=30)
    )
    lipid = ordered(order, "LIPID")
    hdl = Parameter.objects.get(test=lipid.test, code="hdl")
    lipid = enter(lab_technician, lipid, comments={str(hdl.pk): FASTING}, **HIGH_CHOLESTEROL)
    results.verify(actor=actor_for(second_technician), ordered_test=lipid)
    enter(lab_technician, ordered(order, "CREA"), CREA="3.25")
    return order


def read(response) -> tuple[str, PdfReader]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split()), reader


def report_of(client, order):
    return client.get(reverse("lab:report", args=[order.pk]))


def test_the_report_writes_the_nepali_name_and_comment_with_results_flags_and_ranges(
    doctor, sign_in, released, patient, second_technician
):
    text, _reader = read(report_of(sign_in(doctor), released))
    assert "राम बहादुर" in text
    assert FASTING in text
    assert patient.mrn in text
    assert released.number in text
    assert f"Ordering doctor: {doctor}" in text
    assert "Total cholesterol 240.0 mg/dL H ≤ 200" in text
    assert "HDL cholesterol 50.0 mg/dL ≥ 40" in text
    assert "Triglycerides 100.0 mg/dL ≤ 150" in text
    assert "LDL cholesterol 170.0" in text
    sample = released.samples.get()
    assert f"Sample {sample.accession}" in text
    assert "collected" in text
    assert "received" in text
    assert "Entered by" in text
    assert f"verified by {second_technician}" in text


def test_the_devanagari_is_drawn_in_the_noto_font_beside_dejavu(doctor, sign_in, released):
    _text, reader = read(report_of(sign_in(doctor), released))
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("DejaVuSans" in name for name in fonts)
    assert any("NotoSansDevanagari" in name for name in fonts)


def test_results_not_yet_verified_are_not_printed(doctor, sign_in, released):
    text, _reader = read(report_of(sign_in(doctor), released))
    assert "Creatinine" not in text
    assert "3.25" not in text


def test_an_order_with_nothing_verified_prints_no_result_and_no_qr(
    doctor, sign_in, order, nurse, lab_technician
):
    samples.collect(actor=actor_for(nurse), order=order, collected_at=timezone.now())
    enter(lab_technician, ordered(order, "LIPID"), **HIGH_CHOLESTEROL)
    text, reader = read(report_of(sign_in(doctor), order))
    assert "No result of this order has been verified yet." in text
    assert "240" not in text
    assert sum(len(page.images) for page in reader.pages) == 0


def test_an_amended_result_says_why_and_what_was_first_reported(
    doctor, sign_in, released, lab_technician
):
    hdl = Result.objects.get(ordered_test__order=released, parameter__code="hdl")
    results.amend(actor=actor_for(lab_technician), result=hdl, value="55", reason="Transcription")
    text, _reader = read(report_of(sign_in(doctor), released))
    assert "Lipid profile (amended)" in text
    assert "HDL cholesterol 55.0 mg/dL" in text
    assert "Transcription (first reported 50.0)" in text
    assert FASTING in text  # the comment stays with the correction


def qr_url(reader: PdfReader) -> str:
    (image,) = [image for page in reader.pages for image in page.images]
    found = zxingcpp.read_barcode(image.image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found is not None
    return found.text


def test_the_qr_opens_a_page_confirming_the_report_without_the_patient(
    doctor, sign_in, released, client, patient
):
    text, reader = read(report_of(sign_in(doctor), released))
    url = qr_url(reader)
    assert url == f"http://testserver{reverse('lab:verify', args=[released.verify_token])}"
    assert url in text.replace(" ", "")
    page = client.get(urlsplit(url).path)  # a stranger with the paper, not signed in
    assert page.status_code == 200
    html = page.content.decode()
    assert released.number in html
    assert released.clinic.name in html
    assert "Lipid profile" in html
    assert "Creatinine" not in html  # not released: not part of the report
    for private in (patient.given_name, patient.family_name, patient.mrn, FASTING, "240"):
        assert private not in html


def test_the_verification_page_says_when_each_test_was_verified(client, released):
    page = client.get(reverse("lab:verify", args=[released.verify_token]))
    (test, amended_at) = page.context["tests"][0]
    assert test.verified_at is not None
    assert amended_at is None


def test_an_order_with_nothing_released_is_not_verified(client, order):
    assert client.get(reverse("lab:verify", args=[order.verify_token])).status_code == 404


def test_an_unknown_token_is_not_found(client, released):
    url = reverse("lab:verify", args=["00000000-0000-0000-0000-000000000007"])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.LAB_TECHNICIAN, Role.MANAGER])
def test_clinical_staff_open_the_report(role, clinic, sign_in, released):
    person = member(role, clinic, username=f"report_{role.value}")
    read(report_of(sign_in(person), released))


@pytest.mark.parametrize("role", [Role.CASHIER, Role.RECEPTIONIST, Role.PHARMACIST])
def test_the_counter_may_not_open_the_report(role, clinic, sign_in, released):
    person = member(role, clinic, username=f"report_{role.value}")
    assert report_of(sign_in(person), released).status_code == 403


def test_another_clinics_doctor_does_not_find_the_report(other_clinic_doctor, sign_in, released):
    assert report_of(sign_in(other_clinic_doctor), released).status_code == 404


def test_opening_the_report_is_audited(nurse, sign_in, released):
    report_of(sign_in(nurse), released)
    event = AuditEvent.objects.get(
        action=AuditAction.VIEW, object_type="lab.laborder", object_id=str(released.pk)
    )
    assert event.changes["part"] == "lab report"


def test_without_the_devanagari_font_the_report_is_still_written(
    doctor, sign_in, released, monkeypatch
):
    monkeypatch.setattr(pdf, "devanagari_font", lambda: None)
    text, _reader = read(report_of(sign_in(doctor), released))
    assert "Total cholesterol 240.0 mg/dL H" in text


def test_the_report_reads_a_bounded_number_of_rows(
    doctor, sign_in, released, django_assert_max_num_queries
):
    client = sign_in(doctor)
    with django_assert_max_num_queries(40):
        read(report_of(client, released))
