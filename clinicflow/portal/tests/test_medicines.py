"""The medicine schedule in the portal: today's doses ticked taken or skipped (one record per
dose: a database constraint), the adherence per medicine, and the doctor reading it on the
chart and at the consultation."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.clinical import adherence, prescribing
from clinicflow.clinical import services as clinical
from clinicflow.clinical.icd10 import load_codes
from clinicflow.clinical.models import DoseRecord, Icd10Code, Prescription
from clinicflow.core.errors import DomainError
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.frontdesk import services as frontdesk
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db

AMOXICILLIN = {
    "medicine_name": "Amoxicillin",
    "strength": "500 mg",
    "form": "capsule",
    "dose": "1",
    "dose_unit": "capsule",
    "frequency": "TDS",  # 08:00, 14:00, 20:00
    "duration_days": "5",
    "instructions": "after food",
}


@pytest.fixture
def prescribe(doctor, receptionist, cardiologist):
    """Issue a prescription of amoxicillin for the patient, issued two days ago at 07:00."""
    if not Icd10Code.objects.filter(code="J45.0").exists():
        load_codes(Icd10Code)

    def _prescribe(patient, **changes):
        frontdesk.add_walk_in(
            actor=actor_for(receptionist), patient=patient, practitioner=cardiologist
        )
        entry = frontdesk.call_next(actor=actor_for(doctor), practitioner=cardiologist)
        encounter = clinical.open_encounter(actor=actor_for(doctor), entry=entry)
        item = prescribing.add_item(
            actor=actor_for(doctor), encounter=encounter, details={**AMOXICILLIN, **changes}
        )
        encounter.refresh_from_db()
        encounter = clinical.save_note(
            actor=actor_for(doctor),
            encounter=encounter,
            fields={"plan": "Antibiotic"},
            version=encounter.version,
        )
        clinical.sign(
            actor=actor_for(doctor), encounter=encounter, allergies_unasked_acknowledged=True
        )
        zone = patient.clinic.zone
        issued = datetime.combine(_today(patient) - timedelta(days=2), time(7), tzinfo=zone)
        Prescription.objects.for_clinic(patient.clinic).filter(pk=item.prescription_id).update(
            issued_at=issued
        )
        item.refresh_from_db()
        return item, encounter

    return _prescribe


def _today(patient):
    return timezone.localtime(timezone.now(), patient.clinic.zone).date()


def _records(patient):
    return DoseRecord.objects.for_clinic(patient.clinic).filter(patient=patient)


def _tell(client, patient, item, day, clock, outcome, **headers):
    return client.post(
        reverse("portal:dose"),
        {
            "patient": str(patient.pk),
            "item": str(item.pk),
            "day": day.isoformat(),
            "time": clock,
            "outcome": outcome,
        },
        **headers,
    )


def test_todays_doses_are_listed_and_ticked_with_htmx(family, priya, prescribe, sign_in):
    item, _ = prescribe(priya)
    client = sign_in(family)
    page = client.get(reverse("portal:medicines"))
    assert page.status_code == 200
    assert [(r.dose.item, r.time_of_day) for r in page.context["doses"]] == [
        (item, "08:00"),
        (item, "14:00"),
        (item, "20:00"),
    ]
    assert (
        AuditEvent.objects.for_clinic(priya.clinic)
        .filter(action=AuditAction.VIEW, object_id=str(priya.pk), changes__part="medicines")
        .exists()
    )
    swapped = _tell(client, priya, item, _today(priya), "08:00", "taken", HTTP_HX_REQUEST="true")
    assert swapped.status_code == 200
    assert 'data-testid="dose-told"' in swapped.content.decode()
    assert "<html" not in swapped.content.decode()  # the dose alone
    told = _records(priya).get()
    assert (told.outcome, told.time_of_day, told.recorded_by) == ("taken", "08:00", family)
    # Told again: the same record changes.
    assert _tell(client, priya, item, _today(priya), "08:00", "skipped").status_code == 302
    assert _records(priya).get().outcome == "skipped"


def test_a_dose_after_midnight_is_shown_on_the_clock_of_the_next_day(
    family, priya, prescribe, sign_in
):
    """Every 4 hours from 06:00 runs past midnight: its last dose of the day is 02:00 the
    next morning, never "26:00", while the form still tells that same dose."""
    prescribe(priya, frequency="QH", every_hours="4")
    page = sign_in(family).get(reverse("portal:medicines"))
    text = page.content.decode()
    shown = [row.shown_time for row in page.context["doses"]]
    assert shown == ["06:00", "10:00", "14:00", "18:00", "22:00", "02:00 (next day)"]
    assert "02:00 (next day) · Amoxicillin" in text
    assert "26:00 ·" not in text
    assert 'name="time" value="26:00"' in text  # the dose's key on its course day
    api = sign_in(family).get(f"/api/v1/portal/members/{priya.pk}/medicines/").json()
    assert [(d["time_of_day"], d["shown_time"]) for d in api["doses"]][-1] == (
        "26:00",
        "02:00 (next day)",
    )


def test_a_parent_ticks_their_childs_dose(family, anjali, prescribe, sign_in):
    item, _ = prescribe(anjali)
    client = sign_in(family)
    client.post(reverse("portal:select", args=[anjali.pk]))
    assert [r.dose.item for r in client.get(reverse("portal:medicines")).context["doses"]] == [
        item
    ] * 3
    _tell(client, anjali, item, _today(anjali), "14:00", "taken")
    assert _records(anjali).get().item == item


def test_adherence_is_taken_out_of_the_doses_due_so_far(family, priya, prescribe):
    item, _ = prescribe(priya)
    actor = actor_for(family)
    today = _today(priya)
    days = [today - timedelta(days=2), today - timedelta(days=1)]
    for day in days:
        for clock in ("08:00", "14:00", "20:00"):
            adherence.record_dose(
                actor=actor,
                patient=priya,
                item_id=item.pk,
                day=day,
                time_of_day=clock,
                outcome="skipped" if (day, clock) == (days[1], "20:00") else "taken",
            )
    # Today's evening dose ticked ahead of its time counts only once due.
    adherence.record_dose(
        actor=actor, patient=priya, item_id=item.pk, day=today, time_of_day="20:00", outcome="taken"
    )
    afternoon = datetime.combine(today, time(15), tzinfo=priya.clinic.zone)
    (row,) = adherence.adherence(priya, now=afternoon)
    assert (row.due, row.taken, row.skipped, row.untold) == (8, 5, 1, 2)
    assert row.percent == 62
    night = datetime.combine(today, time(21), tzinfo=priya.clinic.zone)
    (row,) = adherence.adherence(priya, now=night)
    assert (row.due, row.taken, row.percent) == (9, 6, 67)


@pytest.mark.parametrize(
    ("day_offset", "clock", "outcome", "message"),
    [
        (1, "08:00", "taken", "course so far"),  # tomorrow
        (-3, "08:00", "taken", "course so far"),  # before it was prescribed
        (0, "09:30", "taken", "not on the medicine schedule"),
        (0, "08:00", "forgot", "taken or skipped"),
    ],
)
def test_a_dose_not_on_the_schedule_is_refused_and_nothing_saved(
    family, priya, prescribe, day_offset, clock, outcome, message
):
    item, _ = prescribe(priya)
    with pytest.raises(DomainError, match=message):
        adherence.record_dose(
            actor=actor_for(family),
            patient=priya,
            item_id=item.pk,
            day=_today(priya) + timedelta(days=day_offset),
            time_of_day=clock,
            outcome=outcome,
        )
    assert not _records(priya).exists()


def test_a_bad_tick_tells_why_on_the_page(family, priya, prescribe, sign_in):
    item, _ = prescribe(priya)
    client = sign_in(family)
    answer = _tell(client, priya, item, _today(priya), "09:30", "taken", HTTP_HX_REQUEST="true")
    assert answer.status_code == 400
    assert "not on the medicine schedule" in answer.content.decode()
    assert not _records(priya).exists()


def test_another_patients_dose_is_a_404_and_nothing_is_saved(family, stranger, prescribe, sign_in):
    item, _ = prescribe(stranger)
    answer = _tell(sign_in(family), stranger, item, _today(stranger), "08:00", "taken")
    assert answer.status_code == 404
    assert not _records(stranger).exists()


def test_anothers_medicine_on_ones_own_record_is_refused(
    family, priya, stranger, prescribe, sign_in
):
    theirs, _ = prescribe(stranger)
    with pytest.raises(DomainError, match="not on the medicine schedule"):
        adherence.record_dose(
            actor=actor_for(family),
            patient=priya,
            item_id=theirs.pk,
            day=_today(priya),
            time_of_day="08:00",
            outcome="taken",
        )
    assert not DoseRecord.objects.for_clinic(priya.clinic).exists()


def test_the_database_keeps_one_record_per_dose(family, priya, prescribe):
    item, _ = prescribe(priya)
    adherence.record_dose(
        actor=actor_for(family),
        patient=priya,
        item_id=item.pk,
        day=_today(priya),
        time_of_day="08:00",
        outcome="taken",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        DoseRecord.objects.create(
            clinic=priya.clinic,
            item=item,
            patient=priya,
            day=_today(priya),
            time_of_day="08:00",
            outcome="skipped",
            recorded_at=timezone.now(),
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_dose_told_twice_at_once_keeps_one_record(family, priya, prescribe):
    item, _ = prescribe(priya)

    def tell(n: int) -> object:
        return adherence.record_dose(
            actor=actor_for(family),
            patient=priya,
            item_id=item.pk,
            day=_today(priya),
            time_of_day="08:00",
            outcome="taken" if n else "skipped",
        )

    told, errors = at_once(tell, 2)
    assert errors == []
    assert len(told) == 2
    assert _records(priya).count() == 1


def test_the_doctor_reads_adherence_on_the_chart_and_at_the_consultation(
    family, priya, prescribe, doctor, receptionist, sign_in
):
    item, encounter = prescribe(priya)
    adherence.record_dose(
        actor=actor_for(family),
        patient=priya,
        item_id=item.pk,
        day=_today(priya) - timedelta(days=2),
        time_of_day="08:00",
        outcome="taken",
    )
    client = sign_in(doctor)
    chart = client.get(reverse("patients:chart", args=[priya.pk]))
    assert 'data-testid="adherence-panel"' in chart.content.decode()
    consultation = client.get(reverse("clinical:encounter", args=[encounter.pk]))
    assert 'data-testid="adherence-panel"' in consultation.content.decode()
    # The desk sees no clinical detail.
    desk = sign_in(receptionist).get(reverse("patients:chart", args=[priya.pk]))
    assert 'data-testid="adherence-panel"' not in desk.content.decode()


@pytest.mark.parametrize("role", ["receptionist", "doctor", "nurse"])
def test_staff_do_not_tick_patients_doses(role, request, sign_in):
    client = sign_in(request.getfixturevalue(role))
    assert client.get(reverse("portal:medicines")).status_code == 403
    assert client.post(reverse("portal:dose"), {}).status_code == 403


# ---------------------------------------------------------------- dose reminders (opt-in)


def _ask_for_dose_sms(patient):
    from clinicflow.clinical.dose_reminders import DOSE_DUE
    from clinicflow.notifications.models import PatientPreference

    PatientPreference.objects.create(
        clinic=patient.clinic, patient=patient, channels={DOSE_DUE: ["sms"]}
    )


def _at(patient, hour, minute=0, days=0):
    return datetime.combine(
        _today(patient) + timedelta(days=days), time(hour, minute), tzinfo=patient.clinic.zone
    )


def _dose_messages(patient):
    from clinicflow.notifications.models import Message

    return Message.objects.filter(patient=patient, event="clinical.dose_due")


def test_a_patient_who_asked_is_reminded_of_each_dose_once(prescribe, priya):
    from clinicflow.clinical import dose_reminders

    prescribe(priya)
    _ask_for_dose_sms(priya)
    assert dose_reminders.send_dose_reminders(priya.clinic, now=_at(priya, 7, 50)) == 0
    assert dose_reminders.send_dose_reminders(priya.clinic, now=_at(priya, 8, 5)) == 1
    assert dose_reminders.send_dose_reminders(priya.clinic, now=_at(priya, 8, 10)) == 0  # told
    [message] = _dose_messages(priya)
    assert message.channel == "sms"
    assert "08:00" in message.body
    assert "Amoxicillin" in message.body
    assert dose_reminders.send_dose_reminders(priya.clinic, now=_at(priya, 14, 1)) == 1


def test_nobody_is_reminded_without_asking_or_after_the_course(prescribe, priya, anjali):
    from clinicflow.clinical import dose_reminders

    prescribe(priya)
    prescribe(anjali)
    assert dose_reminders.send_dose_reminders(priya.clinic, now=_at(priya, 8, 5)) == 0
    _ask_for_dose_sms(priya)
    # Issued two days ago for five days: the course's last day is the day after tomorrow.
    assert dose_reminders.send_dose_reminders(priya.clinic, now=_at(priya, 8, 5, days=3)) == 0
    assert not _dose_messages(anjali).exists()


def test_the_patient_asks_for_dose_reminders_in_the_portal(family, sign_in, priya):
    from clinicflow.notifications.models import PatientPreference

    client = sign_in(family)
    page = client.get("/portal/preferences/").content.decode()
    assert "Time for a medicine" in page
    client.post("/portal/preferences/", {"language": "", "kind_clinical_dose_due": ["sms"]})
    chosen = PatientPreference.objects.get(patient=priya).channels
    assert chosen["clinical.dose_due"] == ["sms"]


@pytest.mark.parametrize("language", ["en", "ne"])
def test_a_dose_reminder_fits_one_sms_segment(language):
    from clinicflow.clinical.dose_reminders import KIND
    from clinicflow.notifications import wording
    from clinicflow.notifications.sms.segments import count_segments

    values = {
        "clinic": "Kathmandu Family Health Clinic",
        "medicine": "Amoxicillin 500 mg capsule",
        "time": "20:00",
    }
    assert count_segments(wording.fill(KIND.text(language).sms, values)).segments == 1
