"""A new appointment from the appointments page: the patient first (found as you type, like
the patient search), then the doctor and the time, on the same booking page as from a chart."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinicflow.accounts.actors import actor_for

pytestmark = pytest.mark.django_db


def test_the_appointments_page_offers_a_new_appointment_to_those_who_book(
    receptionist, nurse, sign_in
):
    listing = reverse("scheduling:appointments")
    button = 'data-testid="new-appointment"'
    assert button in sign_in(receptionist).get(listing).content.decode()
    assert button not in sign_in(nurse).get(listing).content.decode()  # sees, may not book
    assert sign_in(nurse).get(reverse("scheduling:book")).status_code == 403


def test_booking_starts_by_finding_the_patient_as_you_type(
    receptionist, patient, register, other_clinic_manager, sign_in
):
    from clinicflow.core.models import AuditAction, AuditEvent
    from clinicflow.patients.services import register_patient

    register(given_name="Gita", family_name="Rai")
    elsewhere = register_patient(
        actor=actor_for(other_clinic_manager),
        details={"given_name": "Priya", "family_name": "Sharma", "sex": "female"},
        confirm_new=True,
    )
    client = sign_in(receptionist)
    page = client.get(reverse("scheduling:book"))
    assert page.status_code == 200
    assert 'id="book-q"' in page.content.decode()
    fragment = client.get(reverse("scheduling:book"), {"q": "priya"}, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert "<html" not in html
    assert f"?patient={patient.pk}" in html
    assert f"?patient={elsewhere.pk}" not in html  # another clinic's namesake
    assert "Gita" not in html
    event = AuditEvent.objects.filter(action=AuditAction.VIEW).last()
    assert event.changes["patients"] == [str(patient.pk)]
    chosen = client.get(reverse("scheduling:book"), {"patient": patient.pk})
    assert chosen.context["patient"] == patient  # then the doctor and the slot, as from a chart
