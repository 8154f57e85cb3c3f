"""What the pharmacy tells: the patient that the medicines are ready, once the whole
prescription is dispensed (not at a part, not when dispensing is refused, nothing without a
phone or e-mail); the pharmacists and managers, by e-mail, the day's stock alerts in one
digest each (once a day, capped, nobody else)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import Conflict
from clinicflow.notifications import wording
from clinicflow.notifications.models import Message, Notice
from clinicflow.pharmacy import alerts, dispensing, messages
from clinicflow.pharmacy.tasks import stock_alerts
from clinicflow.pharmacy.tests.conftest import PRESCRIBED, batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(register):
    """The shared visit's patient, reachable by SMS and e-mail."""
    return register(phone="+9779841000001", email="priya@example.com")


def reviewed(pharmacist, prescription):
    dispensing.review(actor=actor_for(pharmacist), prescription=prescription)
    return prescription


def ready_messages():
    return list(
        Message.objects.filter(event=messages.READY)
        .order_by("channel")
        .values_list("channel", "to", "body")
    )


def test_the_patient_hears_the_medicines_are_ready_once_all_is_dispensed(
    pharmacist, amoxicillin, receive, issue, clinic, doctor
):
    receive((amoxicillin, "B1", 100, 100))
    prescription = reviewed(pharmacist, issue())
    item = prescription.items.get()
    dispensing.dispense(actor=actor_for(pharmacist), item=item, quantity="6")
    assert not ready_messages()  # a part is not ready to collect
    dispensing.dispense(actor=actor_for(pharmacist), item=item)
    [(email, address, body), (sms, phone, text)] = ready_messages()
    assert (email, sms) == ("email", "sms")
    assert (address, phone) == ("priya@example.com", "+9779841000001")
    assert text == f"{clinic.name}: your medicines are ready to collect at the pharmacy."
    assert "Dear Priya" in body
    assert doctor.get_full_name() in body


def test_a_refused_dispense_tells_nothing(pharmacist, amoxicillin, receive, issue):
    receive((amoxicillin, "B1", 100, 5))
    prescription = reviewed(pharmacist, issue())
    with pytest.raises(Conflict):
        dispensing.dispense(actor=actor_for(pharmacist), item=prescription.items.get())
    assert not ready_messages()


def test_an_item_closed_early_completes_the_prescription_and_tells_once(
    pharmacist, amoxicillin, receive, issue
):
    receive((amoxicillin, "B1", 100, 100))
    prescription = reviewed(pharmacist, issue())
    dispensing.dispense(
        actor=actor_for(pharmacist), item=prescription.items.get(), quantity="10", complete=True
    )
    assert len(ready_messages()) == 2
    prescription.refresh_from_db()
    assert messages.prescription_ready(prescription).messages == 0  # the same key: nothing new
    assert batch(amoxicillin, "B1").on_hand == 90


def test_a_patient_without_contact_gets_the_medicines_and_no_message(
    pharmacist, amoxicillin, receive, issue, patient
):
    type(patient).objects.filter(pk=patient.pk).update(phone="", email="")
    receive((amoxicillin, "B1", 100, 100))
    prescription = reviewed(pharmacist, issue(PRESCRIBED))
    dispensing.dispense(actor=actor_for(pharmacist), item=prescription.items.get())
    prescription.refresh_from_db()
    assert prescription.status == "dispensed"
    assert not Message.objects.exists()


# ---------------------------------------------------------------- the daily digest


@pytest.fixture
def alerting(amoxicillin, medicines, receive, clinic):
    """Amoxicillin low (and the other amoxicillins, never stocked) with a batch expiring soon;
    paracetamol well stocked."""
    paracetamol = medicines[("Paracetamol", "", "500 mg")]
    receive((amoxicillin, "SOON", 20, 5), (paracetamol, "GOOD", 400, 500))
    return alerts.clinic_today(clinic)


def digests():
    return Message.objects.filter(event=messages.DIGEST).order_by("to")


def test_the_digest_goes_once_a_day_by_e_mail_to_pharmacists_and_managers(
    alerting, pharmacist, manager, receptionist, doctor, clinic, monkeypatch
):
    stock_alerts.delay()
    stock_alerts.delay()
    sent = list(digests())
    assert sorted(m.user_id for m in sent) == sorted([pharmacist.pk, manager.pk])
    assert {m.channel for m in sent} == {"email"}
    assert {m.to for m in sent} == {pharmacist.email, manager.email}
    digest = sent[0]
    assert digest.subject == f"Stock alerts for {alerting.isoformat()}: 3 low, 1 expiring soon"
    assert "Low stock (3):" in digest.body
    assert "- Amoxicillin 500 mg capsule: 5 available, reorder level 20" in digest.body
    assert "Expiring soon (1):" in digest.body
    assert "batch SOON" in digest.body
    assert not Notice.objects.filter(kind=messages.DIGEST).exists()  # e-mail only
    monkeypatch.setattr(alerts, "clinic_today", lambda clinic: alerting + timedelta(days=1))
    stock_alerts.delay()
    assert digests().count() == 4  # the next day's


def test_a_clinic_without_alerts_sends_no_digest(clinic, pharmacist, medicines):
    medicines_qs = type(next(iter(medicines.values()))).objects.filter(clinic=clinic)
    medicines_qs.update(reorder_level=0)
    stock_alerts.delay()
    assert not digests().exists()


def test_the_digest_lists_twenty_items_at_most(alerting, pharmacist, monkeypatch):
    monkeypatch.setattr(messages, "DIGEST_LINES", 2)
    stock_alerts.delay()
    body = digests().get().body
    assert body.count("\n- ") == 2
    assert "… and 2 more." in body


# ---------------------------------------------------------------- SMS length


@pytest.mark.parametrize("language", ["en", "ne"])
def test_ready_to_collect_fits_one_sms_segment_in_each_language(language):
    from clinicflow.notifications.sms.segments import count_segments

    values = {
        "clinic": "Kathmandu Family Health Clinic",
        "patient": "Ramchandra",
        "doctor": "Dr Ramchandra Bahadur Shrestha",
    }
    text = messages.KINDS[0].text(language).sms
    assert count_segments(wording.fill(text, values)).segments == 1
