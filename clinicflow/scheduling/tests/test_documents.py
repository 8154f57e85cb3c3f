"""Documents attached to appointments: the patient's own, checked like every document, never
another patient's or clinic's, listed on the page and in the API, kept through a merge."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from PIL import Image

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.patients.models import PatientDocument
from clinicflow.patients.services import (
    mark_document_entered_in_error,
    merge_patients,
    upload_document,
)
from clinicflow.patients.tests.files import pdf_bytes, png_bytes, png_claiming
from clinicflow.scheduling.models import Appointment, AppointmentDocument
from clinicflow.scheduling.services import (
    NewDocument,
    attach_documents,
    book_appointment,
    create_practitioner,
)
from tests.factories import member

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def document(receptionist):
    def _document(patient, title="Referral letter"):
        return upload_document(
            actor=actor_for(receptionist),
            patient=patient,
            content=pdf_bytes(),
            original_name="referral.pdf",
            category="referral",
            title=title,
        )

    return _document


def _documents_of(appointment):
    return list(
        PatientDocument.objects.for_clinic(appointment.clinic).filter(
            appointment_links__appointment=appointment
        )
    )


def _stored_files(settings):
    from pathlib import Path

    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_booking_attaches_an_existing_document_and_a_new_upload(
    cardiologist, patient, receptionist, next_monday, at, document
):
    referral = document(patient)
    appointment = book_appointment(
        actor=actor_for(receptionist),
        patient=patient,
        practitioner=cardiologist,
        starts_at=at(next_monday, 10),
        documents=[referral],
        uploads=[NewDocument(png_bytes(), "ecg.png", category="imaging", title="ECG")],
    )
    attached = _documents_of(appointment)
    assert {d.title for d in attached} == {"Referral letter", "ECG"}
    ecg = next(d for d in attached if d.title == "ECG")
    assert (ecg.patient, ecg.content_type, ecg.category) == (patient, "image/png", "imaging")
    assert ecg.thumbnail  # made like every patient document's
    link = AppointmentDocument.objects.for_clinic(patient.clinic).filter(document=ecg).get()
    assert link.attached_by == receptionist
    assert (
        AuditEvent.objects.for_clinic(patient.clinic)
        .filter(object_type="scheduling.appointmentdocument", action=AuditAction.CREATE)
        .count()
        == 2
    )


def test_another_patients_document_refuses_the_whole_booking(
    cardiologist, patient, register, receptionist, next_monday, at, document
):
    someone_else = document(register(given_name="Other", phone=""))
    with pytest.raises(DomainError, match="current documents of this patient") as refused:
        book_appointment(
            actor=actor_for(receptionist),
            patient=patient,
            practitioner=cardiologist,
            starts_at=at(next_monday, 10),
            documents=[someone_else],
        )
    assert refused.value.field == "documents"
    assert not Appointment.objects.for_clinic(patient.clinic).exists()


def test_a_bad_file_refuses_the_booking_and_keeps_no_file(
    cardiologist, patient, receptionist, next_monday, at, settings
):
    with pytest.raises(DomainError) as refused:
        book_appointment(
            actor=actor_for(receptionist),
            patient=patient,
            practitioner=cardiologist,
            starts_at=at(next_monday, 10),
            uploads=[
                NewDocument(png_bytes(), "ok.png"),
                NewDocument(b"<html><script>alert(1)</script>", "evil.pdf"),
            ],
        )
    assert refused.value.field == "file"
    assert not Appointment.objects.for_clinic(patient.clinic).exists()
    assert not PatientDocument.objects.for_clinic(patient.clinic).exists()
    assert _stored_files(settings) == []


def test_an_image_too_large_to_decode_refuses_the_booking_and_keeps_no_file(
    cardiologist, patient, receptionist, next_monday, at, settings
):
    with pytest.raises(DomainError, match="larger than 40 megapixels") as refused:
        book_appointment(
            actor=actor_for(receptionist),
            patient=patient,
            practitioner=cardiologist,
            starts_at=at(next_monday, 10),
            uploads=[
                NewDocument(png_bytes(), "ok.png"),
                NewDocument(png_claiming(13000, 13000), "scan.png"),
            ],
        )
    assert refused.value.field == "file"
    assert not Appointment.objects.for_clinic(patient.clinic).exists()
    assert not PatientDocument.objects.for_clinic(patient.clinic).exists()
    assert _stored_files(settings) == []


def test_a_document_of_another_clinic_is_refused(
    cardiologist, patient, next_monday, at, book, receptionist, other_clinic
):
    other_receptionist = member(Role.RECEPTIONIST, other_clinic, username="far_desk")
    from clinicflow.patients.services import register_patient

    far_patient = register_patient(
        actor=actor_for(other_receptionist),
        details={"given_name": "Far", "family_name": "Away"},
        confirm_new=True,
    )
    far_document = upload_document(
        actor=actor_for(other_receptionist),
        patient=far_patient,
        content=pdf_bytes(),
        original_name="x.pdf",
        category="other",
        title="Far",
    )
    appointment = book(at(next_monday, 10))
    with pytest.raises(DomainError, match="current documents of this patient"):
        attach_documents(
            actor=actor_for(receptionist), appointment=appointment, documents=[far_document]
        )
    assert _documents_of(appointment) == []


def test_the_database_refuses_a_link_to_another_patients_document(
    patient, register, next_monday, at, book, document
):
    appointment = book(at(next_monday, 10))
    someone_else = document(register(given_name="Other", phone=""))
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentDocument.objects.create(
            clinic=appointment.clinic, appointment=appointment, document=someone_else
        )
    own = document(patient)
    AppointmentDocument.objects.create(
        clinic=appointment.clinic, appointment=appointment, document=own
    )


def test_a_document_filed_in_error_cannot_be_attached_and_leaves_the_page(
    patient, next_monday, at, book, document, receptionist, sign_in
):
    appointment = book(at(next_monday, 10))
    letter = document(patient)
    attach_documents(actor=actor_for(receptionist), appointment=appointment, documents=[letter])
    attach_documents(  # attaching again changes nothing
        actor=actor_for(receptionist), appointment=appointment, documents=[letter]
    )
    assert AppointmentDocument.objects.for_clinic(patient.clinic).count() == 1
    mark_document_entered_in_error(
        actor=actor_for(receptionist), document=letter, reason="Wrong patient"
    )
    page = sign_in(receptionist).get(reverse("scheduling:appointment", args=[appointment.pk]))
    assert list(page.context["documents"]) == []
    with pytest.raises(DomainError):
        attach_documents(actor=actor_for(receptionist), appointment=appointment, documents=[letter])


def test_a_doctor_cannot_attach_to_another_doctors_appointment(
    clinic, patient, next_monday, at, book, document, sign_in
):
    appointment = book(at(next_monday, 10))
    colleague = member(Role.DOCTOR, clinic, username="colleague")
    response = sign_in(colleague).post(
        reverse("scheduling:appointment_documents", args=[appointment.pk]),
        {"documents": [document(patient).pk]},
    )
    assert response.status_code == 404
    with pytest.raises(DomainError):
        attach_documents(
            actor=actor_for(colleague), appointment=appointment, documents=[document(patient)]
        )
    assert _documents_of(appointment) == []


def test_the_page_lists_attached_documents_through_the_checked_download(
    patient, next_monday, at, book, document, receptionist, sign_in
):
    appointment = book(at(next_monday, 10))
    letter = document(patient)
    client = sign_in(receptionist)
    page = client.get(reverse("scheduling:appointment", args=[appointment.pk]))
    assert letter in page.context["attach_form"].fields["documents"].queryset
    done = client.post(
        reverse("scheduling:appointment_documents", args=[appointment.pk]),
        {"documents": [letter.pk]},
        follow=True,
    )
    html = done.content.decode()
    assert "The documents were attached." in html
    assert reverse("patients:document", args=[letter.pk]) in html
    uploaded = client.post(
        reverse("scheduling:appointment_documents", args=[appointment.pk]),
        {"file": SimpleUploadedFile("scan.png", png_bytes()), "category": "lab_report"},
        follow=True,
    )
    assert "The documents were attached." in uploaded.content.decode()
    assert len(_documents_of(appointment)) == 2
    assert client.get(reverse("patients:document", args=[letter.pk])).status_code == 200
    offered = client.get(reverse("scheduling:appointment", args=[appointment.pk]))
    assert list(offered.context["attach_form"].fields["documents"].queryset) == []


def test_a_bad_upload_on_the_page_is_shown_and_attaches_nothing(
    patient, next_monday, at, book, receptionist, sign_in
):
    appointment = book(at(next_monday, 10))
    page = sign_in(receptionist).post(
        reverse("scheduling:appointment_documents", args=[appointment.pk]),
        {"file": SimpleUploadedFile("notes.txt", b"just text"), "category": "other"},
        follow=True,
    )
    assert "Only PDF documents and PNG or JPEG images" in page.content.decode()
    bomb = sign_in(receptionist).post(
        reverse("scheduling:appointment_documents", args=[appointment.pk]),
        {"file": SimpleUploadedFile("scan.png", png_claiming(13000, 13000)), "category": "other"},
        follow=True,
    )
    assert "The image is larger than 40 megapixels" in bomb.content.decode()
    assert _documents_of(appointment) == []
    assert not PatientDocument.objects.for_clinic(patient.clinic).exists()


def test_booking_on_the_page_with_a_document_and_a_file(
    cardiologist, patient, receptionist, next_monday, at, document, sign_in
):
    letter = document(patient)
    client = sign_in(receptionist)
    form = client.get(
        reverse("scheduling:book"),
        {"patient": patient.pk, "practitioner": cardiologist.pk, "day": next_monday.isoformat()},
    )
    assert 'data-testid="booking-documents"' in form.content.decode()
    response = client.post(
        reverse("scheduling:book") + f"?patient={patient.pk}",
        {
            "patient": patient.pk,
            "practitioner": cardiologist.pk,
            "starts_at": at(next_monday, 10).isoformat(),
            "kind": "in_person",
            "documents": [letter.pk],
            "file": SimpleUploadedFile("xray.jpg", _jpeg()),
            "category": "imaging",
            "title": "Chest X-ray",
        },
    )
    appointment = Appointment.objects.for_clinic(patient.clinic).get()
    assert response["Location"] == reverse("scheduling:appointment", args=[appointment.pk])
    assert {d.title for d in _documents_of(appointment)} == {"Referral letter", "Chest X-ray"}


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (0, 120, 0)).save(out, format="JPEG")
    return out.getvalue()


def test_merging_patients_keeps_the_appointment_and_its_documents_together(
    cardiologist, patient, register, manager, receptionist, next_monday, at, document
):
    duplicate = register(given_name="Pria", phone="")
    letter = document(duplicate)
    appointment = book_appointment(
        actor=actor_for(receptionist),
        patient=duplicate,
        practitioner=cardiologist,
        starts_at=at(next_monday, 11),
        documents=[letter],
    )
    merge_patients(
        actor=actor_for(manager), duplicate=duplicate, survivor=patient, reason="Same person"
    )
    appointment.refresh_from_db()
    letter.refresh_from_db()
    assert appointment.patient == letter.patient == patient
    assert _documents_of(appointment) == [letter]


def test_the_api_books_with_documents_lists_them_and_attaches_more(
    cardiologist, patient, register, receptionist, next_monday, at, document, sign_in
):
    first, second = document(patient, "Referral"), document(patient, "Old ECG")
    api = sign_in(receptionist)
    created = api.post(
        "/api/v1/appointments/",
        {
            "patient": str(patient.pk),
            "practitioner": cardiologist.pk,
            "starts_at": at(next_monday, 10).isoformat(),
            "document_ids": [str(first.pk)],
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert [d["title"] for d in body["documents"]] == ["Referral"]
    attached = api.post(
        f"/api/v1/appointments/{body['id']}/documents/",
        {"documents": [str(second.pk)]},
        content_type=JSON,
    )
    assert attached.status_code == 200
    assert {d["title"] for d in attached.json()["documents"]} == {"Referral", "Old ECG"}
    someone_else = document(register(given_name="Other", phone=""))
    refused = api.post(
        f"/api/v1/appointments/{body['id']}/documents/",
        {"documents": [str(someone_else.pk)]},
        content_type=JSON,
    )
    assert refused.status_code == 400
    assert "current documents of this patient" in refused.json()["detail"]
    listed = api.get("/api/v1/appointments/", {"patient": str(patient.pk)}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert {d["title"] for d in rows[0]["documents"]} == {"Referral", "Old ECG"}


def test_the_api_list_with_documents_takes_constant_queries(
    cardiologist, patient, register, receptionist, next_monday, at, document, sign_in
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = sign_in(receptionist)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/appointments/").status_code == 200
        return len(queries)

    book_appointment(
        actor=actor_for(receptionist),
        patient=patient,
        practitioner=cardiologist,
        starts_at=at(next_monday, 10),
        documents=[document(patient)],
    )
    count()  # the first request after signing in fills the per-session membership cache
    one = count()
    for n, hour in enumerate((11, 14, 15, 16)):
        other = register(given_name=f"P{n}", phone="")
        book_appointment(
            actor=actor_for(receptionist),
            patient=other,
            practitioner=cardiologist,
            starts_at=at(next_monday, hour),
            documents=[document(other), document(other, "Second")],
        )
    assert count() == one


def test_another_clinics_document_id_over_the_api_is_no_such_record(
    cardiologist, patient, next_monday, at, book, receptionist, other_clinic, sign_in
):
    other_receptionist = member(Role.RECEPTIONIST, other_clinic, username="far_desk")
    from clinicflow.patients.services import register_patient

    far = register_patient(
        actor=actor_for(other_receptionist),
        details={"given_name": "Far", "family_name": "Away"},
        confirm_new=True,
    )
    far_document = upload_document(
        actor=actor_for(other_receptionist),
        patient=far,
        content=pdf_bytes(),
        original_name="x.pdf",
        category="other",
        title="Far",
    )
    appointment = book(at(next_monday, 10))
    refused = sign_in(receptionist).post(
        f"/api/v1/appointments/{appointment.pk}/documents/",
        {"documents": [str(far_document.pk)]},
        content_type=JSON,
    )
    assert refused.status_code == 400
    assert _documents_of(appointment) == []


def test_a_doctor_booking_with_a_colleague_may_attach_documents(
    clinic, manager, patient, next_monday, at, cardiologist, document
):
    """Booking rights carry the attachment: the booking doctor need not manage the other
    doctor's appointments."""
    gp_user = member(Role.DOCTOR, clinic, username="gp")
    create_practitioner(actor=actor_for(manager), user=gp_user, specialization="GP", details={})
    appointment = book_appointment(
        actor=actor_for(gp_user),
        patient=patient,
        practitioner=cardiologist,
        starts_at=at(next_monday, 10),
        documents=[document(patient)],
    )
    assert len(_documents_of(appointment)) == 1
