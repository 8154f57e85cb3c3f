"""The patients API: the same rules, refusals and audit as the pages."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.patients.file_responses import SANDBOX_POLICY
from clinicflow.patients.models import Patient, PatientDocument
from clinicflow.patients.tests.files import pdf_file, pdf_objects, png_bytes, png_claiming

pytestmark = pytest.mark.django_db
NEW = {"given_name": "Priya", "family_name": "Sharma", "sex": "female", "phone": "9841234567"}


def test_staff_register_and_find_a_patient_over_the_api(receptionist, clinic, sign_in):
    api = sign_in(receptionist)
    created = api.post("/api/v1/patients/", NEW, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["mrn"] == "KTM-000001"
    assert created.json()["phone"] == "+9779841234567"
    found = api.get("/api/v1/patients/", {"q": "Prya Sharma"}).json()["results"]
    assert [p["mrn"] for p in found] == ["KTM-000001"]


def test_a_possible_duplicate_is_a_409_naming_the_candidates(receptionist, sign_in):
    api = sign_in(receptionist)
    api.post("/api/v1/patients/", NEW, content_type="application/json")
    again = api.post(
        "/api/v1/patients/", {**NEW, "given_name": "Pooja"}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again.json()["candidates"][0]["mrn"] == "KTM-000001"
    confirmed = api.post(
        "/api/v1/patients/",
        {**NEW, "given_name": "Pooja", "confirm_new": True},
        content_type="application/json",
    )
    assert confirmed.status_code == 201


def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(receptionist, clinic, sign_in):
    response = sign_in(receptionist).post(
        "/api/v1/patients/", {**NEW, "phone": "12"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "phone"
    assert not Patient.objects.for_clinic(clinic).exists()


def test_reading_a_patient_is_audited_and_there_is_no_delete(receptionist, register, sign_in):
    patient = register()
    api = sign_in(receptionist)
    assert api.get(f"/api/v1/patients/{patient.pk}/").json()["given_name"] == "Priya"
    assert (
        AuditEvent.objects.for_clinic(patient.clinic)
        .filter(action=AuditAction.VIEW, object_id=str(patient.pk))
        .exists()
    )
    assert api.delete(f"/api/v1/patients/{patient.pk}/").status_code == 405
    patched = api.patch(
        f"/api/v1/patients/{patient.pk}/", {"address": "Baneshwor"}, content_type="application/json"
    )
    assert patched.json()["address"] == "Baneshwor"


def test_another_clinics_patient_is_not_found_over_the_api(other_clinic_doctor, register, sign_in):
    patient = register()
    api = sign_in(other_clinic_doctor)
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 404
    allergy = api.post(
        "/api/v1/allergies/",
        {"patient": str(patient.pk), "substance": "Sulfa", "severity": "mild"},
        content_type="application/json",
    )
    assert allergy.status_code == 400  # "no such patient", as for one that does not exist


def test_a_nurse_records_and_resolves_an_allergy(nurse, register, sign_in):
    patient = register()
    api = sign_in(nurse)
    created = api.post(
        "/api/v1/allergies/",
        {"patient": str(patient.pk), "substance": "Penicillin", "severity": "severe"},
        content_type="application/json",
    )
    assert created.status_code == 201
    resolved = api.post(
        f"/api/v1/allergies/{created.json()['id']}/status/",
        {"status": "resolved"},
        content_type="application/json",
    )
    assert resolved.json()["status"] == "resolved"
    listed = api.get("/api/v1/allergies/", {"patient": str(patient.pk)}).json()["results"]
    assert [a["substance"] for a in listed] == ["Penicillin"]


def test_a_receptionist_may_not_record_allergies(receptionist, register, sign_in):
    patient = register()
    response = sign_in(receptionist).post(
        "/api/v1/allergies/",
        {"patient": str(patient.pk), "substance": "Penicillin", "severity": "severe"},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_documents_upload_and_download_over_the_api(receptionist, register, sign_in):
    patient = register()
    image = io.BytesIO()
    Image.new("RGB", (20, 20)).save(image, format="PNG")
    api = sign_in(receptionist)
    created = api.post(
        "/api/v1/documents/",
        {
            "patient": str(patient.pk),
            "category": "imaging",
            "title": "X-ray",
            "file": SimpleUploadedFile("x.png", image.getvalue()),
        },
    )
    assert created.status_code == 201
    assert created.json()["content_type"] == "image/png"
    content = api.get(f"/api/v1/documents/{created.json()['id']}/content/")
    assert content.status_code == 200
    assert b"".join(content.streaming_content) == image.getvalue()
    refused = api.post(
        "/api/v1/documents/",
        {
            "patient": str(patient.pk),
            "category": "other",
            "file": SimpleUploadedFile("x.png", b"<html>"),
        },
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "file"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (png_claiming(13000, 13000), "The image is larger than 40 megapixels"),
        (
            pdf_file(pdf_objects(b"/OpenAction << /S /L#61unch /F (calc.exe) >>"), packed=[1]),
            "This PDF contains a command that starts a program",
        ),
    ],
    ids=["decompression-bomb", "launch-in-object-stream"],
)
def test_a_hostile_upload_over_the_api_is_a_400_and_keeps_nothing(
    receptionist, register, sign_in, content, message
):
    patient = register()
    refused = sign_in(receptionist).post(
        "/api/v1/documents/",
        {"patient": str(patient.pk), "category": "other", "file": SimpleUploadedFile("f", content)},
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "file"
    assert message in refused.json()["detail"]
    assert not PatientDocument.objects.for_clinic(patient.clinic).exists()


def test_document_content_over_the_api_is_a_sandboxed_download(receptionist, register, sign_in):
    patient = register()
    api = sign_in(receptionist)
    created = api.post(
        "/api/v1/documents/",
        {
            "patient": str(patient.pk),
            "category": "imaging",
            "title": "X-ray",
            "file": SimpleUploadedFile("x.png", png_bytes((20, 20))),
        },
    )
    content = api.get(f"/api/v1/documents/{created.json()['id']}/content/")
    assert content["Content-Disposition"].startswith("attachment")
    assert content["Content-Security-Policy"] == SANDBOX_POLICY


def test_the_api_list_costs_the_same_queries_for_few_and_many(
    receptionist, register, sign_in, django_assert_max_num_queries
):
    api = sign_in(receptionist)
    for n in range(3):
        register(given_name=f"A{n}")
    api.get("/api/v1/patients/")
    with django_assert_max_num_queries(15) as few:
        api.get("/api/v1/patients/")
    for n in range(60):
        register(given_name=f"B{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get("/api/v1/patients/").json()["results"]) == 50


def test_the_schema_and_its_pages_are_served_locally(doctor, sign_in):
    api = sign_in(doctor)
    schema = api.get("/api/schema/", {"format": "json"}).json()
    assert {"/api/v1/patients/", "/api/v1/documents/{id}/content/"} <= set(schema["paths"])
    docs = api.get("/api/docs/").content.decode()
    assert "cdn" not in docs.lower()
