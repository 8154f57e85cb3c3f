"""Vitals: impossible values refused (nothing saved), abnormal ones flagged, BMI computed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.frontdesk import services
from clinicflow.frontdesk.models import Observation, QueueStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(receptionist, patient):
    return services.add_walk_in(actor=actor_for(receptionist), patient=patient)


def record(user, entry, **values):
    return services.record_vitals(actor=actor_for(user), entry=entry, values=values)


def test_vitals_are_stored_with_codes_units_flags_and_bmi(nurse, entry):
    rows = record(
        nurse,
        entry,
        height="170",
        weight="72.5",
        temperature="38.6",
        pulse="88",
        systolic="150",
        diastolic="95",
        spo2="97",
    )
    by_code = {o.code: o for o in rows}
    assert by_code["39156-5"].value == Decimal("25.1")
    assert by_code["39156-5"].unit == "kg/m2"
    assert by_code["8310-5"].flag == "high"
    assert by_code["8310-5"].unit == "Cel"
    assert by_code["8480-6"].flag == "high"
    assert by_code["8480-6"].unit == "mm[Hg]"
    assert by_code["59408-5"].flag == "normal"
    assert {o.taken_at for o in rows} == {rows[0].taken_at}
    entry.refresh_from_db()
    assert entry.status == QueueStatus.READY
    assert entry.ready_at is not None


def test_critical_values_are_flagged_as_such(nurse, entry):
    rows = record(nurse, entry, spo2="85", pulse="35")
    assert {o.name: o.flag for o in rows} == {"SpO₂": "critical_low", "Pulse": "critical_low"}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"spo2": "101"}, "spo2"),
        ({"temperature": "60"}, "temperature"),
        ({"pulse": "abc"}, "pulse"),
        ({"pulse": "NaN"}, "pulse"),
        ({"systolic": "80", "diastolic": "90"}, "systolic"),
        ({"systolic": "120"}, "systolic"),
        ({}, None),
    ],
)
def test_impossible_values_are_refused_and_nothing_is_saved(nurse, entry, values, field):
    with pytest.raises(DomainError) as refused:
        record(nurse, entry, height="170", **values) if values else record(nurse, entry)
    assert refused.value.field == field
    assert not Observation.objects.exists()
    entry.refresh_from_db()
    assert entry.status == QueueStatus.WAITING


def test_receptionists_and_other_clinics_may_not_record_vitals(
    receptionist, other_clinic_manager, entry
):
    for outsider in (receptionist, other_clinic_manager):
        with pytest.raises(DomainError, match="may not"):
            record(outsider, entry, pulse="80")
    assert not Observation.objects.exists()


def test_an_unregistered_walk_in_must_be_registered_first(nurse, receptionist):
    anonymous = services.add_walk_in(actor=actor_for(receptionist), name="Someone")
    with pytest.raises(DomainError, match="Register the walk-in"):
        record(nurse, anonymous, pulse="80")


def test_vitals_appear_on_the_chart_timeline(nurse, entry, patient):
    from clinicflow.patients.timeline import timeline_for

    record(nurse, entry, spo2="85", pulse="80")
    vitals = [e for e in timeline_for(patient) if e.kind == "vitals"]
    assert len(vitals) == 1
    assert "1 abnormal" in vitals[0].title


def test_the_chart_shows_the_latest_value_of_each_vital(nurse, entry, patient, sign_in):
    record(nurse, entry, pulse="80", spo2="97")
    type(entry).objects.filter(pk=entry.pk).update(status="waiting")
    record(nurse, entry, pulse="130")
    page = sign_in(nurse).get(f"/patients/{patient.pk}/").content.decode()
    panel = page.split('data-testid="latest-vitals"')[1].split('data-testid="timeline"')[0]
    assert "<strong>130</strong>" in panel
    assert "<strong>80</strong>" not in panel
    assert "<strong>97</strong>" in panel


def test_people_read_vitals_with_their_units_and_blood_pressure_as_one(nurse, entry):
    from clinicflow.frontdesk.vitals import readings

    rows = record(
        nurse, entry, temperature="38.6", pulse="100", systolic="150", diastolic="80", spo2="97"
    )
    shown = readings(rows)
    assert [str(r) for r in shown] == [
        "Temperature 38.6 °C",
        "Pulse 100 bpm",
        "BP 150/80 mmHg",
        "SpO₂ 97 %",
    ]
    bp = shown[2]
    assert (bp.flag, bp.is_abnormal) == ("high", True)  # the worse of its two values


def test_two_sets_of_vitals_read_apart_newest_first(nurse, entry):
    from clinicflow.frontdesk.vitals import readings

    first = record(nurse, entry, systolic="120", diastolic="80")
    type(entry).objects.filter(pk=entry.pk).update(status="waiting")
    second = record(nurse, entry, systolic="135", diastolic="85", weight="70")
    assert [str(r) for r in readings([*first, *second])] == ["Weight 70 kg", "BP 135/85 mmHg",
                                                           "BP 120/80 mmHg"]  # fmt: skip


def test_every_page_shows_vitals_for_people_and_the_api_keeps_ucum(
    nurse, doctor, entry, patient, sign_in
):
    record(nurse, entry, temperature="38.6", systolic="120", diastolic="80")
    client = sign_in(nurse)
    chart = client.get(f"/patients/{patient.pk}/").content.decode()
    visit = client.get(f"/frontdesk/visits/{entry.pk}/").content.decode()
    panel = chart.split('data-testid="latest-vitals"')[1].split('data-testid="timeline"')[0]
    timeline = chart.split('data-testid="timeline"')[1]
    table = visit.split('data-testid="vitals"')[1].split("</table>")[0]
    assert "Temperature 38.6 °C · BP 120/80 mmHg" in timeline
    assert "BP <strong>120/80</strong> mmHg" in panel
    assert '<th scope="row">BP</th><td>120/80 mmHg</td>' in table
    for shown in (panel, timeline, table):
        assert "°C" in shown
        assert "Cel" not in shown
        assert "mm[Hg]" not in shown
        assert "Diastolic" not in shown
    api = client.get("/api/v1/observations/").json()["results"]
    assert {o["unit"] for o in api} == {"Cel", "mm[Hg]"}
