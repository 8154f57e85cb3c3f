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
