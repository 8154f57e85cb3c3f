"""Prescriptions: quantities, the safety checks and their overrides, issuing at signing,
stopping, repeating, and the medicine schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.clinical import dosing, prescribing, safety, services
from clinicflow.clinical.models import Prescription, PrescriptionItem, SafetyAlert
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.patients.services import record_allergy

pytestmark = pytest.mark.django_db

AMOXICILLIN = {
    "medicine_name": "Amoxicillin",
    "strength": "500 mg",
    "form": "capsule",
    "dose": "1",
    "dose_unit": "capsule",
    "frequency": "TDS",
    "duration_days": "5",
    "instructions": "after food",
}


def add(doctor, encounter, **changes):
    return prescribing.add_item(
        actor=actor_for(doctor), encounter=encounter, details={**AMOXICILLIN, **changes}
    )


def write_and_sign(doctor, encounter):
    encounter.refresh_from_db()
    encounter = services.save_note(
        actor=actor_for(doctor),
        encounter=encounter,
        fields={"plan": "Antibiotic"},
        version=encounter.version,
    )
    return services.sign(
        actor=actor_for(doctor), encounter=encounter, allergies_unasked_acknowledged=True
    )


@pytest.mark.parametrize(
    ("dose", "frequency", "extra", "days", "expected"),
    [
        ("1", "TDS", {}, "5", 15),
        ("2", "BD", {}, "7", 28),
        ("0.5", "OD", {}, "3", 2),  # 1.5 rounds up
        ("1", "QH", {"every_hours": "6"}, "2", 8),
        ("1", "TIMES", {"times_of_day": "07:00, 19:00"}, "10", 20),
        ("1", "HS", {}, "30", 30),
    ],
)
def test_quantity_is_dose_times_frequency_times_days(dose, frequency, extra, days, expected):
    details = {**AMOXICILLIN, "dose": dose, "frequency": frequency, "duration_days": days, **extra}
    assert prescribing.read_item(details).fields["quantity"] == Decimal(expected)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"medicine_name": " "}, "medicine_name"),
        ({"dose": "0"}, "dose"),
        ({"dose": "abc"}, "dose"),
        ({"frequency": "XYZ"}, "frequency"),
        ({"duration_days": "400"}, "duration_days"),
        ({"frequency": "PRN"}, "quantity"),
        ({"frequency": "QH", "every_hours": "5"}, "every_hours"),
        ({"frequency": "TIMES", "times_of_day": "25:00"}, "times"),
    ],
)
def test_bad_items_are_refused_at_the_field_and_nothing_is_saved(doctor, encounter, changes, field):
    with pytest.raises(DomainError) as refused:
        add(doctor, encounter, **changes)
    assert refused.value.field == field
    assert not PrescriptionItem.objects.exists()


def test_an_item_in_words():
    item = PrescriptionItem(**prescribing.read_item(AMOXICILLIN).fields)
    assert dosing.in_words(item) == "1 capsule three times a day for 5 days, after food"


def test_an_allergy_fires_and_signing_waits_for_an_override_with_a_reason(
    doctor, nurse, encounter, patient
):
    record_allergy(
        actor=actor_for(nurse), patient=patient, substance="Amoxicillin", severity="severe"
    )
    item = add(doctor, encounter)
    alert = item.alerts.get()
    assert alert.kind == "allergy"
    assert "allergic to amoxicillin" in alert.message
    with pytest.raises(DomainError, match="Override each safety warning"):
        write_and_sign(doctor, encounter)
    assert not Prescription.objects.get().issued_at
    with pytest.raises(DomainError) as refused:
        prescribing.override(actor=actor_for(doctor), alert=alert, reason=" ")
    assert refused.value.field == "reason"
    prescribing.override(actor=actor_for(doctor), alert=alert, reason="tolerated it last year")
    signed = write_and_sign(doctor, encounter)
    prescription = Prescription.objects.get(encounter=signed)
    assert prescription.status == "issued"
    assert SafetyAlert.objects.get().overridden_by == doctor


def test_duplicate_therapy_fires_within_a_prescription_and_across_active_ones(doctor, encounter):
    add(doctor, encounter)
    second = add(doctor, encounter, strength="250 mg")
    assert [a.kind for a in second.alerts.all()] == ["duplicate"]


def test_rules_from_the_catalogue_facts_fire(doctor, encounter, patient):
    """Maximum daily dose and cautions come from the catalogue (a facts provider)."""
    facts = safety.MedicineFacts(
        ingredients=frozenset({"paracetamol"}),
        classes=frozenset({"analgesic"}),
        max_daily_mg=Decimal("4000"),
        mg_per_unit=Decimal("500"),
        pregnancy_caution=True,
    )
    proposed = safety.Proposed(name="Paracetamol", dose=Decimal("3"), doses_a_day=4, facts=facts)
    ctx = safety.Context(patient=patient, allergies=["analgesics"])
    kinds = [f.kind for f in safety.check(proposed, ctx)]
    assert kinds == ["allergy", "max_dose", "pregnancy"]  # 6000 mg a day; a woman of 30s


def test_a_stopped_item_needs_a_reason_and_leaves_the_active_list(doctor, encounter):
    item = add(doctor, encounter)
    with pytest.raises(DomainError):
        prescribing.stop_item(actor=actor_for(doctor), item=item, reason="")
    prescribing.stop_item(actor=actor_for(doctor), item=item, reason="wrong medicine")
    write_and_sign(doctor, encounter)
    assert Prescription.objects.get().status == "cancelled"


def test_signed_prescriptions_are_issued_and_feed_the_schedule_and_repeat(
    doctor, encounter, patient, receptionist, practitioner
):
    from clinicflow.frontdesk import services as frontdesk

    add(doctor, encounter)
    write_and_sign(doctor, encounter)
    schedule = prescribing.medicine_schedule(patient)
    assert [(d.item.medicine_name, d.times) for d in schedule] == [
        ("Amoxicillin", ("08:00", "14:00", "20:00"))
    ]
    assert schedule[0].until - schedule[0].item.prescription.issued_at.date() == timedelta(days=4)
    with pytest.raises(Conflict):
        add(doctor, encounter)
    frontdesk.add_walk_in(actor=actor_for(receptionist), patient=patient, practitioner=practitioner)
    again = frontdesk.call_next(actor=actor_for(doctor), practitioner=practitioner)
    second = services.open_encounter(actor=actor_for(doctor), entry=again)
    copied = prescribing.repeat_last(actor=actor_for(doctor), encounter=second)
    assert [i.medicine_name for i in copied] == ["Amoxicillin"]
    assert [a.kind for a in copied[0].alerts.all()] == ["duplicate"]  # still being taken


def test_the_schedule_counts_the_clinics_days_not_the_servers(doctor, encounter, patient):
    """Kathmandu is 5:45 ahead of the server's UTC: a one-day course issued at 20:00 UTC on
    10 March was issued at 01:45 on the 11th there, and is taken on the 11th."""
    from clinicflow.clinical import adherence

    clinic = patient.clinic
    clinic.timezone = "Asia/Kathmandu"
    clinic.save(update_fields=["timezone"])
    add(doctor, encounter, duration_days="1")
    write_and_sign(doctor, encounter)
    issued = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
    Prescription.objects.for_clinic(clinic).update(issued_at=issued)
    with timezone.override("UTC"):
        on_the_11th = prescribing.medicine_schedule(patient, today=date(2026, 3, 11))
        on_the_12th = prescribing.medicine_schedule(patient, today=date(2026, 3, 12))
        doses = adherence.doses_of_day(patient, date(2026, 3, 11))
    assert [(d.item.medicine_name, d.until) for d in on_the_11th] == [
        ("Amoxicillin", date(2026, 3, 11))
    ]
    assert on_the_12th == []
    assert [d.time_of_day for d in doses] == ["08:00", "14:00", "20:00"]


@pytest.mark.parametrize(
    ("time_of_day", "shown"),
    [
        ("08:00", "08:00"),
        ("23:30", "23:30"),
        ("24:00", "00:00 (next day)"),
        ("26:00", "02:00 (next day)"),
        ("50:15", "02:15 (2 days later)"),
    ],
)
def test_a_time_of_day_past_midnight_is_shown_on_the_next_days_clock(time_of_day, shown):
    assert dosing.clock_shown(time_of_day) == shown


@pytest.mark.parametrize("every", [1, 2, 3, 4, 6, 8, 12, 24])
def test_every_n_hours_is_shown_and_due_at_the_same_moments(every, clinic):
    """One reading of a time of day: what the patient is shown is when the dose is due (and
    reminded)."""
    from clinicflow.clinical.adherence import instant

    day = date(2026, 3, 10)
    for time_of_day in dosing.times_of_day("QH", every, ""):
        due = instant(day, time_of_day, clinic.zone)
        assert due is not None
        next_day = " (next day)" if due.date() > day else ""
        assert dosing.clock_shown(time_of_day) == due.strftime("%H:%M") + next_day


def test_only_the_encounters_doctor_prescribes(encounter, nurse, other_clinic_doctor):
    for outsider in (nurse, other_clinic_doctor):
        with pytest.raises(DomainError, match="may not"):
            add(outsider, encounter)
    assert not PrescriptionItem.objects.exists()


def test_the_workspace_prescribes_warns_and_takes_an_override(
    doctor, nurse, encounter, patient, sign_in
):
    record_allergy(actor=actor_for(nurse), patient=patient, substance="Penicillin", severity="mild")
    client = sign_in(doctor)
    page = f"/clinical/encounters/{encounter.pk}/"
    client.post(
        f"{page}medicines/",
        {**AMOXICILLIN, "medicine_name": "Penicillin V", "quantity": ""},
    )
    shown = client.get(page).content.decode()
    assert 'data-kind="allergy"' in shown
    assert "1 capsule three times a day for 5 days, after food" in shown
    alert = SafetyAlert.objects.get()
    client.post(f"/clinical/alerts/{alert.pk}/override/", {"reason": "desensitised"})
    alert.refresh_from_db()
    assert alert.override_reason == "desensitised"
    bad = client.post(f"{page}medicines/", {**AMOXICILLIN, "dose": "-1"}, follow=True)
    assert "above zero" in bad.content.decode()
    assert PrescriptionItem.objects.count() == 1


def test_another_doctor_cannot_override_or_stop(
    doctor, encounter, sign_in, clinic, manager, nurse, patient
):
    from clinicflow.core.roles import Role
    from clinicflow.scheduling.services import create_practitioner
    from tests.factories import member

    record_allergy(
        actor=actor_for(nurse), patient=patient, substance="Amoxicillin", severity="mild"
    )
    item = add(doctor, encounter)
    colleague = member(Role.DOCTOR, clinic, username="colleague")
    create_practitioner(actor=actor_for(manager), user=colleague, specialization="GP", details={})
    client = sign_in(colleague)
    alert = item.alerts.get()
    assert client.post(f"/clinical/alerts/{alert.pk}/override/", {"reason": "x"}).status_code == 404
    assert client.post(f"/clinical/medicines/{item.pk}/stop/", {"reason": "x"}).status_code == 404
    alert.refresh_from_db()
    assert not alert.is_overridden


def test_the_printed_prescription_has_the_items_in_words_and_a_verification_page(
    doctor, encounter, patient, sign_in, pharmacist, receptionist
):
    import io

    from pypdf import PdfReader

    add(doctor, encounter)
    write_and_sign(doctor, encounter)
    prescription = Prescription.objects.get()
    response = sign_in(doctor).get(f"/clinical/prescriptions/{prescription.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in (
        "Amoxicillin 500 mg capsule",
        "1 capsule three times a day for 5 days, after food",
        patient.mrn,
        patient.full_name,
        "quantity 15",
    ):
        assert expected in " ".join(text.split()), expected
    page = sign_in(pharmacist).get(f"/clinical/prescriptions/{prescription.pk}/").content.decode()
    assert "1 capsule three times a day for 5 days, after food" in page
    assert (
        sign_in(receptionist).get(f"/clinical/prescriptions/{prescription.pk}/").status_code == 403
    )


def test_the_consultation_and_the_printed_prescription_are_not_kept_in_caches(
    doctor, encounter, sign_in
):
    add(doctor, encounter)
    write_and_sign(doctor, encounter)
    prescription = Prescription.objects.get()
    client = sign_in(doctor)
    for url in (
        f"/clinical/encounters/{encounter.pk}/",
        f"/clinical/prescriptions/{prescription.pk}/pdf/",
        f"/api/v1/encounters/{encounter.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store", url
