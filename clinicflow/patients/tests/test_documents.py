"""Documents: checked by content, kept privately, served only to those allowed, audited."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.patients.file_responses import SANDBOX_POLICY
from clinicflow.patients.models import DocumentStatus, PatientDocument
from clinicflow.patients.tests.files import (
    pdf_bytes,
    pdf_file,
    pdf_objects,
    png_bytes,
    png_claiming,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(register):
    return register()


def upload(client, patient, content: bytes, name: str, **extra):
    data = {
        "file": SimpleUploadedFile(name, content),
        "category": "lab_report",
        "title": "CBC",
        **extra,
    }
    return client.post(reverse("patients:document_upload", args=[patient.pk]), data, follow=True)


def documents(patient):
    return PatientDocument.objects.for_clinic(patient.clinic).filter(patient=patient)


def test_a_png_is_kept_privately_with_a_thumbnail_and_shows_on_the_timeline(
    receptionist, patient, sign_in
):
    client = sign_in(receptionist)
    page = upload(client, patient, png_bytes(), "scan.png")
    doc = documents(patient).get()
    assert doc.content_type == "image/png"
    assert doc.file.name.startswith(f"patients/{patient.clinic_id}/")
    assert "scan" not in doc.file.name  # a random name, never the uploaded one
    assert default_storage.exists(doc.thumbnail.name)
    assert "Document: CBC" in page.content.decode()


def test_a_png_named_pdf_is_kept_as_the_png_it_is(receptionist, patient, sign_in):
    upload(sign_in(receptionist), patient, png_bytes(), "report.pdf")
    assert documents(patient).get().content_type == "image/png"


def test_a_real_pdf_is_kept(receptionist, patient, sign_in):
    upload(sign_in(receptionist), patient, pdf_bytes(), "report.pdf")
    assert documents(patient).get().content_type == "application/pdf"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "x-ray.png", "Only PDF documents"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "chart.svg", "Only PDF"),
        (b"MZ\x90\x00" + b"\x00" * 64, "setup.pdf", "Only PDF documents"),
        (png_bytes() + b"PK\x03\x04archive", "scan.png", "archive inside"),
        (png_bytes()[:-12] + b"<script>", "scan.png", "web content"),
        (
            b"%PDF-1.4\n/OpenAction << /S /JavaScript /JS (app.alert(1)) >>\n%%EOF",
            "r.pdf",
            "scripts",
        ),
        (b"%PDF-1.4 not really a pdf", "r.pdf", "cannot be read"),
        (  # an opening script hidden in a compressed object stream
            pdf_file(
                pdf_objects(b"/OpenAction 4 0 R", rb"<< /S /JavaScript /JS (app.alert\(1\)) >>"),
                packed=[4],
            ),
            "r.pdf",
            "This PDF contains scripts",
        ),
        (png_claiming(13000, 13000), "scan.png", "The image is larger than 40 megapixels"),
        (b"", "empty.pdf", "empty"),
    ],
)
def test_anything_but_a_clean_pdf_png_or_jpeg_is_refused_and_nothing_kept(
    receptionist, patient, sign_in, content, name, message
):
    before = (
        set(default_storage.listdir(f"patients/{patient.clinic_id}")[1])
        if default_storage.exists(f"patients/{patient.clinic_id}")
        else set()
    )
    page = upload(sign_in(receptionist), patient, content, name)
    assert message in page.content.decode()
    assert not documents(patient).exists()
    after = (
        set(default_storage.listdir(f"patients/{patient.clinic_id}")[1])
        if default_storage.exists(f"patients/{patient.clinic_id}")
        else set()
    )
    assert after == before


def test_a_file_over_the_limit_is_refused(receptionist, patient, sign_in, settings):
    settings.CLINICFLOW_MAX_UPLOAD_MB = 1
    big = png_bytes() + b"\x00" * (1024 * 1024)
    page = upload(sign_in(receptionist), patient, big, "big.png")
    assert "larger than 1 MB" in page.content.decode()
    assert not documents(patient).exists()


def test_opening_a_document_is_audited_and_served_safely(doctor, receptionist, patient, sign_in):
    """A PDF is a download: a browser's PDF viewer cannot run sandboxed (``file_responses``)."""
    upload(sign_in(receptionist), patient, pdf_bytes(), "report.pdf")
    doc = documents(patient).get()
    response = sign_in(doctor).get(reverse("patients:document", args=[doc.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == SANDBOX_POLICY
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert (
        AuditEvent.objects.for_clinic(patient.clinic)
        .filter(action=AuditAction.VIEW, object_id=str(doc.pk), actor=doctor)
        .exists()
    )


def test_an_image_opens_in_the_browser_sandboxed_and_downloads_on_request(
    doctor, receptionist, patient, sign_in
):
    upload(sign_in(receptionist), patient, png_bytes(), "scan.png")
    doc = documents(patient).get()
    client = sign_in(doctor)
    shown = client.get(reverse("patients:document", args=[doc.pk]))
    assert shown["Content-Disposition"].startswith("inline")
    thumbnail = client.get(reverse("patients:document_thumbnail", args=[doc.pk]))
    saved = client.get(reverse("patients:document", args=[doc.pk]), {"download": "1"})
    assert saved["Content-Disposition"].startswith("attachment")
    for response in (shown, thumbnail, saved):
        policy = response["Content-Security-Policy"]
        assert policy == SANDBOX_POLICY
        assert policy.startswith("sandbox;")  # no allow-scripts, no allow-same-origin
        assert "script-src" not in policy


def test_documents_are_refused_to_other_clinics_roles_without_access_and_strangers(
    receptionist, pharmacist, other_clinic_doctor, patient, sign_in, client
):
    upload(sign_in(receptionist), patient, png_bytes(), "scan.png")
    doc = documents(patient).get()
    url = reverse("patients:document", args=[doc.pk])
    assert sign_in(other_clinic_doctor).get(url).status_code == 404
    assert sign_in(pharmacist).get(url).status_code == 403
    assert client.get(url).status_code == 302  # to the sign-in page


def test_a_document_filed_in_error_is_hidden_but_kept(receptionist, patient, sign_in):
    client = sign_in(receptionist)
    upload(client, patient, png_bytes(), "wrong-patient.png")
    doc = documents(patient).get()
    client.post(
        reverse("patients:document_entered_in_error", args=[doc.pk]), {"reason": "Wrong patient"}
    )
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.ENTERED_IN_ERROR
    chart = client.get(reverse("patients:chart", args=[patient.pk]))
    assert doc not in chart.context["summary"].documents
    assert default_storage.exists(doc.file.name)
