"""What the front desk tells: the doctor, in-app, that their patient has checked in (or walked
in for them) — once, not when the check-in is refused; the patient that their token is called,
only when they opted in to it (nothing by default, nothing without a phone, the call still
made)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.frontdesk import messages, services
from clinicflow.notifications import wording
from clinicflow.notifications.models import Message, Notice, PatientPreference
from clinicflow.notifications.sms.segments import count_segments

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(register):
    return register(phone="+9779841000001", email="priya@example.com")


def arrivals(user):
    return Notice.objects.filter(recipient=user, kind=messages.CHECKED_IN)


def calls():
    return list(
        Message.objects.filter(event=messages.TOKEN_CALLED).values_list("channel", "to", "body")
    )


def opt_in(clinic, patient, channels=("sms",)):
    PatientPreference.objects.create(
        clinic=clinic, patient=patient, channels={messages.TOKEN_CALLED: list(channels)}
    )


def test_a_check_in_tells_the_doctor(receptionist, booked, doctor, patient):
    entry = services.check_in(actor=actor_for(receptionist), appointment=booked)
    [notice] = arrivals(doctor)
    assert notice.title == f"Checked in: {patient.full_name}, token {entry.token_label}"
    assert notice.url == reverse("frontdesk:entry", args=[entry.pk])
    assert not arrivals(receptionist).exists()
    assert not Message.objects.filter(event=messages.CHECKED_IN).exists()  # in-app only


def test_a_refused_check_in_tells_nobody(receptionist, booked, doctor):
    actor = actor_for(receptionist)
    services.check_in(actor=actor, appointment=booked)
    with pytest.raises(DomainError):
        services.check_in(actor=actor, appointment=booked)
    assert arrivals(doctor).count() == 1


def test_a_walk_in_for_a_doctor_tells_the_doctor_and_one_for_nobody_tells_nobody(
    receptionist, cardiologist, doctor, patient, register
):
    actor = actor_for(receptionist)
    services.add_walk_in(actor=actor, patient=patient, practitioner=cardiologist, reason="Fever")
    [notice] = arrivals(doctor)
    assert "Fever" in notice.body
    services.add_walk_in(actor=actor, name="Hari Thapa", phone="9841000009")
    assert Notice.objects.filter(kind=messages.CHECKED_IN).count() == 1


def test_a_called_token_tells_nobody_by_default(receptionist, cardiologist, doctor, patient):
    services.add_walk_in(actor=actor_for(receptionist), patient=patient, practitioner=cardiologist)
    assert services.call_next(actor=actor_for(doctor), practitioner=cardiologist)
    assert not calls()


def test_a_patient_who_opted_in_hears_their_token_called_once(
    receptionist, cardiologist, doctor, patient, clinic
):
    opt_in(clinic, patient)
    entry = services.add_walk_in(
        actor=actor_for(receptionist), patient=patient, practitioner=cardiologist
    )
    services.call_next(actor=actor_for(doctor), practitioner=cardiologist)
    [(channel, to, body)] = calls()
    assert (channel, to) == ("sms", "+9779841000001")
    assert body == (
        f"{clinic.name}: token {entry.token_label} is called. "
        f"Please come in to see Dr {doctor.get_full_name()} now."
    )
    entry.refresh_from_db()
    change = entry.changes.order_by("pk").last()
    messages.tell_change(entry, change)  # the same call again: nothing new
    assert len(calls()) == 1


def test_an_opted_in_patient_without_a_phone_is_called_and_told_nothing(
    receptionist, cardiologist, doctor, register, clinic
):
    silent = register(given_name="Sita")
    opt_in(clinic, silent)
    services.add_walk_in(actor=actor_for(receptionist), patient=silent, practitioner=cardiologist)
    called = services.call_next(actor=actor_for(doctor), practitioner=cardiologist)
    assert called.status == "with_doctor"
    assert not calls()


@pytest.mark.parametrize("language", ["en", "ne"])
def test_a_called_token_fits_one_sms_segment_in_each_language(language):
    values = {
        "clinic": "Kathmandu Family Health Clinic",
        "patient": "Ramchandra",
        "token": "CARD-123",
        "doctor": "Dr Ramchandra Bahadur Shrestha",
    }
    text = messages.KINDS[1].text(language).sms
    assert count_segments(wording.fill(text, values)).segments == 1
