"""Merging a duplicate patient carries its messages, consent and preferences to the survivor,
and never loses an opt-out."""

from __future__ import annotations

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.notifications import events
from clinicflow.notifications.inbound import set_sms_consent
from clinicflow.notifications.models import ConsentChange, Message, PatientPreference
from clinicflow.patients.services import merge_patients

pytestmark = pytest.mark.django_db


def merge(manager, duplicate, survivor):
    merge_patients(actor=actor_for(manager), duplicate=duplicate, survivor=survivor, reason="Same")


def test_messages_consent_and_preferences_move_to_the_survivor(clinic, register, manager):
    survivor = register(phone="+9779841000001")
    duplicate = register(given_name="Priyaa", phone="+9779841000002", confirm_new=True)
    events.emit("appointment.booked", clinic=clinic, key="1", patient=duplicate, values={})
    set_sms_consent(duplicate, opted_in=False, source="desk")
    merge(manager, duplicate, survivor)
    assert set(Message.objects.values_list("patient_id", flat=True)) == {survivor.pk}
    assert ConsentChange.objects.get().patient_id == survivor.pk
    assert PatientPreference.objects.get().patient_id == survivor.pk


def test_an_opt_out_of_the_duplicate_holds_for_a_survivor_with_its_own_preferences(
    clinic, register, manager
):
    survivor = register(phone="+9779841000001")
    duplicate = register(given_name="Priyaa", phone="+9779841000002", confirm_new=True)
    PatientPreference.objects.create(clinic=clinic, patient=survivor, language="ne")
    set_sms_consent(duplicate, opted_in=False, source="sms_reply", evidence="STOP")
    merge(manager, duplicate, survivor)
    kept = PatientPreference.objects.get(patient=survivor)
    assert kept.sms_opted_out_at is not None
    assert kept.language == "ne"
    assert ConsentChange.objects.filter(patient=survivor, opted_in=False).count() == 2
