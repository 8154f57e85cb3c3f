"""The pharmacy hears of a new prescription: every active pharmacist of the clinic gets an
in-app notice when a doctor signs a consultation with medicines — once, not when signing is
refused, not for a prescription left without medicine, nobody of another clinic."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import Membership
from clinicflow.clinical import messages, prescribing, services
from clinicflow.clinical.models import Prescription
from clinicflow.core.errors import DomainError
from clinicflow.core.roles import Role
from clinicflow.notifications.models import Message, Notice
from tests.factories import member

pytestmark = pytest.mark.django_db

PARACETAMOL = {
    "medicine_name": "Paracetamol",
    "dose": "1",
    "frequency": "TDS",
    "duration_days": "3",
}


def sign(doctor, encounter, **kwargs):
    encounter.refresh_from_db()
    written = services.save_note(
        actor=actor_for(doctor),
        encounter=encounter,
        fields={"plan": "Rest"},
        version=encounter.version,
    )
    return services.sign(actor=actor_for(doctor), encounter=written, **kwargs)


def told(user):
    return Notice.objects.filter(recipient=user, kind=messages.NEW_PRESCRIPTION)


def test_signing_a_prescription_rings_every_pharmacists_bell(
    doctor, encounter, pharmacist, clinic, other_clinic, receptionist, patient
):
    second = member(Role.PHARMACIST, clinic, username="pharmacist2")
    away = member(Role.PHARMACIST, other_clinic, username="other_pharmacist")
    prescribing.add_item(actor=actor_for(doctor), encounter=encounter, details=PARACETAMOL)
    sign(doctor, encounter, allergies_unasked_acknowledged=True)
    prescription = Prescription.objects.get(encounter=encounter)
    for person in (pharmacist, second):
        [notice] = told(person)
        assert notice.title == f"New prescription: {patient}, from Dr {doctor.get_full_name()}"
        assert "1 medicine(s)" in notice.body
        assert notice.url == reverse("pharmacy:dispense", args=[prescription.pk])
        assert notice.clinic_id == clinic.pk
    for person in (away, receptionist, doctor):
        assert not told(person).exists()
    assert not Message.objects.filter(event=messages.NEW_PRESCRIPTION).exists()  # in-app only


def test_a_refused_signature_tells_the_pharmacy_nothing(doctor, encounter, pharmacist):
    prescribing.add_item(actor=actor_for(doctor), encounter=encounter, details=PARACETAMOL)
    with pytest.raises(DomainError):
        sign(doctor, encounter)  # allergies not asked, not acknowledged
    assert not told(pharmacist).exists()


def test_a_consultation_without_medicines_tells_the_pharmacy_nothing(doctor, encounter, pharmacist):
    item = prescribing.add_item(actor=actor_for(doctor), encounter=encounter, details=PARACETAMOL)
    prescribing.stop_item(actor=actor_for(doctor), item=item, reason="Not needed")
    sign(doctor, encounter, allergies_unasked_acknowledged=True)
    assert Prescription.objects.get(encounter=encounter).status == "cancelled"
    assert not told(pharmacist).exists()


def test_an_inactive_pharmacist_hears_nothing_and_telling_again_adds_nothing(
    doctor, encounter, pharmacist, clinic
):
    second = member(Role.PHARMACIST, clinic, username="pharmacist2")
    Membership.objects.filter(user=second).update(is_active=False)
    prescribing.add_item(actor=actor_for(doctor), encounter=encounter, details=PARACETAMOL)
    sign(doctor, encounter, allergies_unasked_acknowledged=True)
    prescription = Prescription.objects.get(encounter=encounter)
    assert messages.prescription_issued(prescription, 1).notices == 0
    assert told(pharmacist).count() == 1
    assert not told(second).exists()
