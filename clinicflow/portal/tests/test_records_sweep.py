"""The sweep: every record and bill address of the portal given another patient's ids (a
stranger's document, prescription, lab report and bills), or a family member's the portal is
not showing, is a 404 with none of their data and nothing changed; staff are refused every
portal-only address."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.patients.models import PatientDocument
from clinicflow.portal.tests.records_day import png
from tests.factories import member

pytestmark = pytest.mark.django_db

#: Every address that names a row, with the row of a record day it names.
ROW_ADDRESSES = [
    ("portal:records_prescription_pdf", "prescription"),
    ("portal:records_lab_report", "order"),
    ("portal:records_lab_pdf", "order"),
    ("portal:records_document", "document"),
    ("portal:bills_invoice", "invoice"),
    ("portal:bills_invoice_pdf", "invoice"),
    ("portal:bills_receipt_pdf", "payment"),
]

#: Every record and bill address (the rows' with a record day's ids).
LISTS = [
    "portal:records",
    "portal:records_visits",
    "portal:records_prescriptions",
    "portal:records_lab",
    "portal:records_vitals",
    "portal:records_health",
    "portal:records_appointments",
    "portal:records_documents",
    "portal:records_chart_reads",
    "portal:records_summary",
    "portal:bills",
]


def test_the_sweep_covers_every_record_and_bill_address():
    from clinicflow.portal.urls import urlpatterns

    ours = {
        f"portal:{p.name}"
        for p in urlpatterns
        if p.name and (p.name.startswith("records") or p.name.startswith("bills"))
    }
    swept = {name for name, _ in ROW_ADDRESSES} | set(LISTS)
    swept |= {"portal:records_lab_trend", "portal:records_document_add"}
    assert ours == swept


def _says_nothing_of(response, day) -> None:
    text = response.content.decode(errors="replace") if response.content else ""
    for secret in (day.patient.full_name, day.patient.mrn, day.document.title):
        assert secret not in text


def test_another_patients_rows_are_not_found_and_nothing_changes(
    family, priya_day, stranger_day, sign_in
):
    client = sign_in(family)
    documents_before = PatientDocument.objects.all_clinics().count()
    for name, row in ROW_ADDRESSES:
        address = reverse(name, args=[getattr(stranger_day, row).pk])
        response = client.get(address)
        assert response.status_code == 404, (address, response.status_code)
        _says_nothing_of(response, stranger_day)
    # The stranger's reads were never recorded as the family's.
    assert not AuditEvent.objects.for_clinic(stranger_day.patient.clinic).filter(
        actor=family, changes__patient=str(stranger_day.patient.pk)
    )
    assert PatientDocument.objects.all_clinics().count() == documents_before


def test_the_pages_of_lists_never_show_another_patients_rows(
    family, priya_day, stranger_day, sign_in
):
    client = sign_in(family)
    for name in LISTS:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        _says_nothing_of(response, stranger_day)
    assert stranger_day.invoice.number not in client.get(reverse("portal:bills")).content.decode()


def test_a_family_members_rows_are_reached_only_while_the_portal_shows_them(
    family, priya_day, anjali_day, sign_in
):
    client = sign_in(family)  # showing Priya, the account's own
    for name, row in ROW_ADDRESSES:
        assert client.get(reverse(name, args=[getattr(anjali_day, row).pk])).status_code == 404
    client.post(reverse("portal:select", args=[anjali_day.patient.pk]))
    for name, row in ROW_ADDRESSES:
        assert client.get(reverse(name, args=[getattr(anjali_day, row).pk])).status_code == 200


def test_a_removed_family_member_is_no_longer_reached(family, priya_day, anjali_day, sign_in):
    client = sign_in(family)
    client.post(reverse("portal:select", args=[anjali_day.patient.pk]))
    client.post(reverse("portal:remove", args=[anjali_day.patient.pk]))
    for name, row in ROW_ADDRESSES:
        assert client.get(reverse(name, args=[getattr(anjali_day, row).pk])).status_code == 404
    assert client.get(reverse("portal:records")).context["member"] == priya_day.patient


def test_an_upload_cannot_be_aimed_at_another_record(family, priya_day, stranger_day, sign_in):
    """The record named in the form is checked like any other id: another family's is a 404
    (as is a missing one), and nothing is kept."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = sign_in(family)
    for aimed in (str(stranger_day.patient.pk), "", "not-an-id"):
        refused = client.post(
            reverse("portal:records_document_add"),
            {
                "file": SimpleUploadedFile("x.png", png()),
                "category": "other",
                "title": "Aimed elsewhere",
                "patient": aimed,
            },
        )
        assert refused.status_code == 404, aimed
    assert not PatientDocument.objects.all_clinics().filter(title="Aimed elsewhere").exists()


def test_the_upload_service_refuses_a_record_the_account_does_not_look_after(
    family, stranger_day, clinic
):
    from clinicflow.accounts.actors import actor_for
    from clinicflow.core.errors import DomainError
    from clinicflow.patients.services import upload_document

    with pytest.raises(DomainError):
        upload_document(
            actor=actor_for(family),
            patient=stranger_day.patient,
            content=png(),
            original_name="x.png",
            category="other",
            title="Not mine",
            action="portal.documents.upload",
        )
    assert not PatientDocument.objects.for_clinic(clinic).filter(title="Not mine").exists()


def test_the_portal_uploads_under_its_own_action_only(family, priya_day, clinic):
    """The patients service asks the action it is given: the account's own record under the
    desk's default is refused (a patient has no desk upload right), under the portal's kept."""
    from clinicflow.accounts.actors import actor_for
    from clinicflow.core.errors import DomainError
    from clinicflow.patients.services import upload_document

    upload = {
        "actor": actor_for(family),
        "patient": priya_day.patient,
        "content": png(),
        "original_name": "x.png",
        "category": "other",
        "title": "Mine",
    }
    with pytest.raises(DomainError):
        upload_document(**upload)
    assert not PatientDocument.objects.for_clinic(clinic).filter(title="Mine").exists()
    kept = upload_document(**upload, action="portal.documents.upload")
    assert kept.patient == priya_day.patient


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.PATIENT])
def test_staff_are_refused_the_portals_record_and_bill_pages(role, clinic, priya_day, sign_in):
    client = sign_in(member(role, clinic, username=f"staff_{role.value}"))
    addresses = [reverse(name) for name in LISTS]
    addresses += [reverse(name, args=[getattr(priya_day, row).pk]) for name, row in ROW_ADDRESSES]
    addresses.append(reverse("portal:records_lab_trend", args=["GLU"]))
    for address in addresses:
        assert client.get(address).status_code == 403, (role, address)
    refused = client.post(
        reverse("portal:records_document_add"),
        {"file": "", "category": "other", "title": "x"},
    )
    assert refused.status_code == 403
    assert AuditEvent.objects.all_clinics().filter(action=AuditAction.PERMISSION_DENIED).exists()


def test_an_account_of_another_clinic_reaches_nothing(other_clinic, priya_day, sign_in):
    outsider = member(Role.PATIENT, other_clinic, username="elsewhere")
    client = sign_in(outsider)
    for name, row in ROW_ADDRESSES:
        assert client.get(reverse(name, args=[getattr(priya_day, row).pk])).status_code == 404
    assert b'data-testid="no-member"' in client.get(reverse("portal:records")).content
