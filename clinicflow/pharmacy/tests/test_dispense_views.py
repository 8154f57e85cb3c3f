"""The pharmacist's pages: the live pending list, the prescription with today's safety findings
beside the doctor's overrides, review then dispense through the forms, refusals, the label and
receipt, and the dispense on the patient's chart."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.clinical import prescribing
from clinicflow.clinical import services as clinical
from clinicflow.clinical.models import PrescriptionStatus, SafetyAlert
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.frontdesk import services as frontdesk
from clinicflow.patients.services import record_allergy
from clinicflow.pharmacy import dispensing
from clinicflow.pharmacy.models import Dispense, Review, StockMovement
from clinicflow.pharmacy.tests.conftest import PRESCRIBED, batch, on_hand_matches_ledger
from tests.sockets import connect, cookie_header

pytestmark = pytest.mark.django_db

OVERRIDE = "Tolerated amoxicillin last year"


@pytest.fixture
def prescribe(doctor, receptionist, practitioner, icd10):
    """A signed consultation for ``patient`` with one amoxicillin item; an allergy warning is
    overridden with ``OVERRIDE``."""

    def _prescribe(patient, details=PRESCRIBED):
        frontdesk.add_walk_in(
            actor=actor_for(receptionist), patient=patient, practitioner=practitioner
        )
        entry = frontdesk.call_next(actor=actor_for(doctor), practitioner=practitioner)
        encounter = clinical.open_encounter(actor=actor_for(doctor), entry=entry)
        item = prescribing.add_item(actor=actor_for(doctor), encounter=encounter, details=details)
        for alert in SafetyAlert.objects.filter(item=item):
            prescribing.override(actor=actor_for(doctor), alert=alert, reason=OVERRIDE)
        encounter.refresh_from_db()
        signed = clinical.save_note(
            actor=actor_for(doctor), encounter=encounter, fields={"plan": "Antibiotic"},
            version=encounter.version,
        )  # fmt: skip
        clinical.sign(
            actor=actor_for(doctor), encounter=signed, allergies_unasked_acknowledged=True
        )
        return signed.prescription

    return _prescribe


@pytest.fixture
def allergic(patient, nurse):
    record_allergy(
        actor=actor_for(nurse), patient=patient, substance="Penicillin", severity="severe"
    )
    return patient


def page_of(prescription) -> str:
    return reverse("pharmacy:dispense", args=[prescription.pk])


def item_form(prescription, **fields) -> tuple[str, dict[str, str]]:
    item = prescription.items.get()
    url = reverse("pharmacy:dispense_item", args=[prescription.pk, item.pk])
    return url, {f"item-{item.pk}-{name}": str(value) for name, value in fields.items()}


# ---------------------------------------------------------------- the prescription page


def test_the_page_shows_the_allergy_the_finding_and_the_doctors_override(
    pharmacist, sign_in, allergic, prescribe, amoxicillin, receive
):
    receive((amoxicillin, "B1", 200, 40))
    prescription = prescribe(allergic)
    page = sign_in(pharmacist).get(page_of(prescription))
    text = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="allergy-banner"' in text
    assert "Penicillin" in text
    assert "allergic to penicillin" in text
    assert OVERRIDE in text
    assert "three times a day for 5 days" in text
    assert 'data-testid="review-form"' in text
    assert 'data-testid="dispense-form"' not in text  # not before the review


def test_every_opening_of_the_page_is_audited(pharmacist, sign_in, patient, prescribe):
    prescription = prescribe(patient)
    client = sign_in(pharmacist)
    client.get(page_of(prescription))
    client.get(page_of(prescription))
    views = AuditEvent.objects.for_clinic(prescription.clinic).filter(
        action=AuditAction.VIEW, object_id=str(prescription.pk), actor=pharmacist
    )
    assert views.count() == 2
    assert views.first().changes["patient"] == str(patient.pk)


def test_review_then_dispense_through_the_forms_takes_it_from_stock(
    pharmacist, sign_in, allergic, prescribe, amoxicillin, receive
):
    receive((amoxicillin, "SOON", 60, 10), (amoxicillin, "LATE", 300, 40))
    prescription = prescribe(allergic)
    client = sign_in(pharmacist)
    answer = client.post(reverse("pharmacy:review", args=[prescription.pk]), {"note": ""})
    assert answer.status_code == 302
    assert Review.objects.filter(prescription=prescription).exists()
    page = client.get(page_of(prescription)).content.decode()
    assert 'data-testid="dispense-form"' in page
    assert "SOON · expires" in page
    assert "10 on hand" in page
    assert "50 capsule available" in page

    url, data = item_form(prescription, quantity="15", medicine=amoxicillin.pk, batch="")
    answer = client.post(url, data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert batch(amoxicillin, "SOON").on_hand == 0
    assert batch(amoxicillin, "LATE").on_hand == 35
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.DISPENSED
    on_hand_matches_ledger()
    history = client.get(page_of(prescription)).content.decode()
    assert history.count('data-testid="dispense-row"') == 2
    assert "35 left in batch" in history


def test_a_new_warning_needs_the_pharmacists_note_shown_at_the_field(
    pharmacist, sign_in, patient, prescribe, nurse, amoxicillin
):
    prescription = prescribe(patient)
    record_allergy(
        actor=actor_for(nurse), patient=patient, substance="Penicillin", severity="severe"
    )
    page = sign_in(pharmacist).post(
        reverse("pharmacy:review", args=[prescription.pk]), {"note": ""}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "New since the doctor signed" in text
    assert 'id="id_note_errors"' in text
    assert "say what you did about it" in text
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"quantity": "16"}, "Only 15 remain to be given.", "quantity"),
        ({"quantity": "abc"}, "Enter a number.", "quantity"),
        ({"quantity": "5", "weaker": True}, "say why it is given instead", "substitution_reason"),
        ({"quantity": "5", "late": True}, "say why another is given", "batch_reason"),
    ],
)
def test_bad_input_shows_the_message_at_the_field_and_gives_nothing(
    fields, message, field, pharmacist, sign_in, patient, prescribe, medicines, amoxicillin,
    receive,
):  # fmt: skip
    weaker = medicines[("Amoxicillin", "", "250 mg")]
    receive((amoxicillin, "SOON", 60, 50), (amoxicillin, "LATE", 300, 50), (weaker, "W1", 90, 50))
    prescription = prescribe(patient)
    dispensing.review(actor=actor_for(pharmacist), prescription=prescription)
    chosen = weaker if fields.pop("weaker", False) else amoxicillin
    picked = batch(amoxicillin, "LATE").pk if fields.pop("late", False) else ""
    url, data = item_form(prescription, medicine=chosen.pk, batch=picked, **fields)
    page = sign_in(pharmacist).post(url, data)
    text = page.content.decode()
    assert page.status_code == 200
    item = prescription.items.get()
    assert f'id="id_item-{item.pk}-{field}_errors"' in text
    assert message in text
    assert not Dispense.objects.exists()
    assert not StockMovement.objects.filter(kind="dispense").exists()
    assert batch(amoxicillin, "SOON").on_hand == 50


def test_cancelling_needs_a_reason_and_closes_the_prescription(
    pharmacist, sign_in, patient, prescribe
):
    prescription = prescribe(patient)
    client = sign_in(pharmacist)
    url = reverse("pharmacy:cancel", args=[prescription.pk])
    page = client.post(url, {"reason": " "})
    assert page.status_code == 200
    assert "This field is required." in page.content.decode()
    assert client.post(url, {"reason": "Patient declined"}).status_code == 302
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.CANCELLED
    assert prescription.status_reason == "Patient declined"


def test_a_dispense_can_come_back_to_stock(
    pharmacist, sign_in, patient, prescribe, amoxicillin, receive
):
    receive((amoxicillin, "B1", 100, 30))
    prescription = prescribe(patient)
    dispensing.review(actor=actor_for(pharmacist), prescription=prescription)
    [given] = dispensing.dispense(actor=actor_for(pharmacist), item=prescription.items.get())
    client = sign_in(pharmacist)
    url = reverse("pharmacy:return", args=[given.pk])
    client.post(url, {"quantity": "20", "reason": "unopened"})
    assert batch(amoxicillin, "B1").on_hand == 15  # more than was given: refused
    client.post(url, {"quantity": "5", "reason": "unopened"})
    assert batch(amoxicillin, "B1").on_hand == 20
    receipt = client.get(reverse("pharmacy:receipt", args=[prescription.pk])).content.decode()
    assert "10.00" in receipt  # 10 kept at 1.00
    on_hand_matches_ledger()


@pytest.mark.parametrize("who", ["doctor", "receptionist", "other_clinic_pharmacist"])
def test_other_roles_and_clinics_are_refused(
    who, request, sign_in, patient, prescribe, other_clinic
):
    from clinicflow.core.roles import Role
    from tests.factories import member

    prescription = prescribe(patient)
    user = (
        member(Role.PHARMACIST, other_clinic, username="other_pharmacist")
        if who == "other_clinic_pharmacist"
        else request.getfixturevalue(who)
    )
    client = sign_in(user)
    expected = 404 if who == "other_clinic_pharmacist" else 403
    assert client.get(page_of(prescription)).status_code == expected
    assert client.post(reverse("pharmacy:review", args=[prescription.pk])).status_code == expected
    assert client.get(reverse("pharmacy:receipt", args=[prescription.pk])).status_code == expected
    assert not Review.objects.exists()


def test_a_manager_sees_the_page_without_the_forms(
    manager, pharmacist, sign_in, patient, prescribe
):
    prescription = prescribe(patient)
    client = sign_in(manager)
    text = client.get(page_of(prescription)).content.decode()
    assert "three times a day" in text
    assert 'data-testid="review-form"' not in text
    assert client.post(reverse("pharmacy:review", args=[prescription.pk])).status_code == 403


# ---------------------------------------------------------------- printing and the chart


@pytest.fixture
def dispensed(pharmacist, patient, prescribe, amoxicillin, receive):
    receive((amoxicillin, "LOT-7", 200, 40))
    prescription = prescribe(patient)
    dispensing.review(actor=actor_for(pharmacist), prescription=prescription)
    [row] = dispensing.dispense(actor=actor_for(pharmacist), item=prescription.items.get())
    return row


def test_the_label_says_who_what_how_and_which_batch(pharmacist, sign_in, dispensed, patient):
    client = sign_in(pharmacist)
    for url in (
        reverse("pharmacy:label", args=[dispensed.pk]),
        reverse("pharmacy:labels", args=[dispensed.prescription_id]),
    ):
        text = client.get(url).content.decode()
        for expected in (
            "Himalaya Family Clinic",
            patient.full_name,
            patient.mrn,
            "Amoxicillin 500 mg capsule",
            "1 capsule three times a day for 5 days",
            "LOT-7",
            batch(dispensed.medicine, "LOT-7").expiry_date.isoformat(),
            "15 capsule",
            str(pharmacist),
            "data-print",
        ):
            assert expected in text, expected
    labels = AuditEvent.objects.for_clinic(patient.clinic).filter(
        action=AuditAction.VIEW, changes__part="label"
    )
    assert labels.count() == 2


def test_the_receipt_adds_the_lines_in_the_clinics_currency(pharmacist, sign_in, dispensed, clinic):
    text = (
        sign_in(pharmacist)
        .get(reverse("pharmacy:receipt", args=[dispensed.prescription_id]))
        .content.decode()
    )
    assert "Amoxicillin 500 mg capsule" in text
    assert "1.00" in text  # the batch's unit price
    assert f"15.00 {clinic.currency}" in text


def test_the_chart_timeline_shows_the_dispense(doctor, sign_in, dispensed, patient):
    chart = sign_in(doctor).get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert "Dispensed Amoxicillin 500 mg capsule × 15" in chart
    assert f"by {dispensed.dispensed_by}" in chart


def test_the_timeline_source_is_one_query(dispensed, patient, django_assert_num_queries):
    from clinicflow.pharmacy.contributions import dispense_entries

    with django_assert_num_queries(1):
        entries = list(dispense_entries(patient, 50))
    assert [e.kind for e in entries] == ["dispense"]


def test_a_merge_moves_the_signed_consultation_its_prescription_and_dispenses(
    dispensed, patient, register, manager
):
    from clinicflow.patients.services import merge_patients

    survivor = register(given_name="Priya", family_name="Sharma-Rai", phone="9800000001")
    merge_patients(
        actor=actor_for(manager), duplicate=patient, survivor=survivor, reason="same person"
    )
    dispensed.refresh_from_db()
    assert dispensed.patient == survivor
    assert dispensed.prescription.patient == survivor
    assert dispensed.prescription.encounter.patient == survivor


# ---------------------------------------------------------------- the pending list


def test_the_pending_list_shows_patient_doctor_items_age_and_a_link(
    pharmacist, sign_in, patient, prescribe
):
    prescription = prescribe(patient)
    text = sign_in(pharmacist).get(reverse("pharmacy:queue")).content.decode()
    assert patient.full_name in text
    assert patient.mrn in text
    assert str(prescription.prescriber) in text
    assert "Amoxicillin" in text
    assert "Issued" in text
    assert "0\xa0minutes" in text or "minute" in text
    assert page_of(prescription) in text
    assert 'data-queue-socket="/ws/pharmacy/"' in text


def test_the_pending_list_fragment_costs_the_same_for_one_and_ten(
    pharmacist, sign_in, register, prescribe, django_assert_max_num_queries
):
    client = sign_in(pharmacist)
    prescribe(register(given_name="Asha0", family_name="Rai"))
    client.get(reverse("pharmacy:queue"))
    with django_assert_max_num_queries(20) as few:
        fragment = client.get(reverse("pharmacy:queue"), HTTP_HX_REQUEST="true")
    assert b"<html" not in fragment.content
    # Counted now: the connection keeps the last 9000 queries, and prescribing rotates them.
    budget = len(few.captured_queries)
    for n in range(1, 10):
        prescribe(register(given_name=f"Asha{n}", family_name="Rai", phone=f"98000000{n:02d}"))
    client.get(reverse("pharmacy:queue"))  # the bell counts the new prescriptions' notices once
    with django_assert_max_num_queries(budget):
        fragment = client.get(reverse("pharmacy:queue"), HTTP_HX_REQUEST="true")
    assert fragment.content.decode().count('data-testid="pending-row"') == 10
    with django_assert_max_num_queries(budget):
        client.get(reverse("pharmacy:queue"))


# ---------------------------------------------------------------- live


@pytest.mark.django_db(transaction=True)
def test_the_pharmacist_hears_when_a_prescription_is_issued_and_dispensed(
    pharmacist, sign_in, patient, prescribe, amoxicillin, receive
):
    receive((amoxicillin, "B1", 200, 40))
    headers = cookie_header(sign_in(pharmacist))
    actor = actor_for(pharmacist)

    async def scenario() -> list[dict]:
        socket, ok = await connect(headers, "/ws/pharmacy/")
        assert ok
        assert (await socket.receive_json_from())["type"] == "hello"
        prescription = await sync_to_async(prescribe)(patient)
        issued = await socket.receive_json_from()
        await sync_to_async(dispensing.review)(actor=actor, prescription=prescription)
        item = await sync_to_async(prescription.items.get)()
        await sync_to_async(dispensing.dispense)(actor=actor, item=item, quantity="5")
        partly = await socket.receive_json_from()
        await sync_to_async(dispensing.dispense)(actor=actor, item=item)
        done = await socket.receive_json_from()
        await socket.disconnect()
        return [issued, partly, done]

    heard = async_to_sync(scenario)()
    assert [m["type"] for m in heard] == ["queue"] * 3
    assert [m["status"] for m in heard] == ["issued", "partially_dispensed", "dispensed"]
    assert len({m["prescription"] for m in heard}) == 1


@pytest.mark.django_db(transaction=True)
def test_another_clinics_pharmacist_hears_nothing(sign_in, other_clinic, patient, prescribe):
    from clinicflow.core.roles import Role
    from tests.factories import member

    headers = cookie_header(sign_in(member(Role.PHARMACIST, other_clinic, username="far")))

    async def scenario() -> bool:
        socket, ok = await connect(headers, "/ws/pharmacy/")
        assert ok
        await socket.receive_json_from()
        await sync_to_async(prescribe)(patient)
        quiet = await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return quiet

    assert async_to_sync(scenario)() is True


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["receptionist", "doctor", None])
def test_the_pharmacy_socket_refuses_other_roles_and_strangers(who, request, sign_in):
    headers = (
        cookie_header(sign_in(request.getfixturevalue(who)))
        if who
        else [(b"origin", b"http://127.0.0.1")]
    )

    async def scenario() -> bool:
        _socket, ok = await connect(headers, "/ws/pharmacy/")
        return ok

    assert async_to_sync(scenario)() is False


def test_only_a_status_change_outside_the_draft_is_announced(doctor, encounter, monkeypatch):
    from clinicflow.pharmacy import live

    heard = []
    monkeypatch.setattr(live, "announce", lambda prescription: heard.append(prescription.status))
    prescribing.add_item(actor=actor_for(doctor), encounter=encounter, details=PRESCRIBED)
    assert heard == []  # the doctor is still writing it
    encounter.refresh_from_db()
    signed = clinical.save_note(
        actor=actor_for(doctor), encounter=encounter, fields={"plan": "Antibiotic"},
        version=encounter.version,
    )  # fmt: skip
    clinical.sign(actor=actor_for(doctor), encounter=signed, allergies_unasked_acknowledged=True)
    assert heard == ["issued"]
