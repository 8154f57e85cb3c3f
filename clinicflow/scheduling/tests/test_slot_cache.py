"""The cached slot grid: whatever path changes a doctor's hours, the next read shows it."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.db import connection, transaction

from clinicflow.core.models import Clinic
from clinicflow.scheduling.models import AvailabilityRule, Practitioner, ScheduleVersion, TimeOff
from clinicflow.scheduling.slots import (
    free_slots,
    grid_cache_key,
    schedule_version,
    working_slots,
)

pytestmark = pytest.mark.django_db


def local_times(slots, zone):
    return [s.starts_at.astimezone(zone).strftime("%H:%M") for s in slots]


def monday_times(doctor, day):
    return local_times(working_slots(doctor, day, day), doctor.clinic.zone)


@pytest.fixture
def warm(cardiologist, next_monday, django_assert_num_queries):
    """The Monday grid read once (and cached): the second read is one query, the stamp."""
    before = monday_times(cardiologist, next_monday)
    with django_assert_num_queries(1):
        assert monday_times(cardiologist, next_monday) == before
    assert before[-1] == "16:40"
    return before


def monday_afternoon(doctor):
    return AvailabilityRule.objects.filter(
        practitioner=doctor, weekday=0, start_time=time(14)
    ).get()


def test_a_rule_changed_with_save_shows_in_the_next_read(cardiologist, next_monday, warm):
    rule = monday_afternoon(cardiologist)
    rule.end_time = time(16)
    rule.save()
    assert monday_times(cardiologist, next_monday)[-1] == "15:40"


def test_a_rule_changed_with_a_bulk_update_shows_in_the_next_read(cardiologist, next_monday, warm):
    changed = AvailabilityRule.objects.filter(practitioner=cardiologist, weekday=0).update(
        weekday=1
    )
    assert changed == 2  # morning and afternoon; no signal, no save()
    assert monday_times(cardiologist, next_monday) == []


def test_rules_added_with_bulk_create_show_in_the_next_read(
    cardiologist, next_monday, clinic, warm
):
    AvailabilityRule.objects.bulk_create(
        [
            AvailabilityRule(
                clinic=clinic,
                practitioner=cardiologist,
                weekday=0,
                start_time=time(18),
                end_time=time(19),
            )
        ]
    )
    assert monday_times(cardiologist, next_monday)[-3:] == ["18:00", "18:20", "18:40"]


def test_a_rule_changed_with_raw_sql_shows_in_the_next_read(cardiologist, next_monday, warm):
    rule = monday_afternoon(cardiologist)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scheduling_availabilityrule SET end_time = %s WHERE id = %s",
            ["15:00:00", rule.pk],
        )
    assert monday_times(cardiologist, next_monday)[-1] == "14:40"


def test_a_deleted_rule_shows_in_the_next_read(cardiologist, next_monday, warm):
    AvailabilityRule.objects.filter(practitioner=cardiologist, weekday=0).delete()
    assert monday_times(cardiologist, next_monday) == []


def test_time_off_added_shows_in_the_next_read(cardiologist, next_monday, clinic, at, warm):
    TimeOff.objects.create(
        clinic=clinic,
        practitioner=cardiologist,
        starts_at=at(next_monday, 14),
        ends_at=at(next_monday, 17),
        reason="Conference",
    )
    assert monday_times(cardiologist, next_monday)[-1] == "12:40"


def test_a_clinic_wide_holiday_added_in_bulk_shows_in_the_next_read(
    cardiologist, next_monday, clinic, at, warm
):
    TimeOff.objects.bulk_create(
        [
            TimeOff(
                clinic=clinic,
                starts_at=at(next_monday, 0),
                ends_at=at(next_monday + timedelta(days=1), 0),
                reason="Dashain",
            )
        ]
    )
    assert monday_times(cardiologist, next_monday) == []


def test_time_off_moved_to_another_doctor_frees_the_first(cardiologist, next_monday, clinic, at):
    leave = TimeOff.objects.create(
        clinic=clinic,
        practitioner=cardiologist,
        starts_at=at(next_monday, 14),
        ends_at=at(next_monday, 17),
        reason="Conference",
    )
    assert monday_times(cardiologist, next_monday)[-1] == "12:40"
    TimeOff.objects.filter(pk=leave.pk).update(practitioner=None, clinic=clinic)
    assert monday_times(cardiologist, next_monday)[-1] == "12:40"  # now the clinic's
    TimeOff.objects.filter(pk=leave.pk).delete()
    assert monday_times(cardiologist, next_monday)[-1] == "16:40"


def test_booked_appointments_are_never_cached(cardiologist, next_monday, at, book):
    week = (next_monday, next_monday)
    assert at(next_monday, 9) in [s.starts_at for s in free_slots(cardiologist, *week)]
    book(at(next_monday, 9))
    assert at(next_monday, 9) not in [s.starts_at for s in free_slots(cardiologist, *week)]


def test_a_new_slot_length_is_a_new_grid(cardiologist, next_monday, warm):
    Practitioner.objects.filter(pk=cardiologist.pk).update(slot_minutes=30)  # no trigger here
    doctor = Practitioner.objects.select_related("clinic").get(pk=cardiologist.pk)
    assert monday_times(doctor, next_monday)[:3] == ["09:00", "09:30", "10:00"]


def test_a_new_clinic_timezone_is_a_new_grid(cardiologist, next_monday, warm):
    before = working_slots(cardiologist, next_monday, next_monday)
    zone = "Asia/Kathmandu" if cardiologist.clinic.timezone != "Asia/Kathmandu" else "UTC"
    Clinic.objects.filter(pk=cardiologist.clinic_id).update(timezone=zone)
    doctor = Practitioner.objects.select_related("clinic").get(pk=cardiologist.pk)
    after = working_slots(doctor, next_monday, next_monday)
    assert local_times(after, doctor.clinic.zone)[0] == "09:00"  # 09:00 there …
    assert after[0].starts_at != before[0].starts_at  # … which is another instant


def test_the_cache_key_names_everything_the_grid_depends_on(cardiologist, next_monday):
    day = next_monday
    key = grid_cache_key(cardiologist, 7, day, day)
    assert grid_cache_key(cardiologist, 8, day, day) != key
    assert grid_cache_key(cardiologist, None, day, day) != key
    assert grid_cache_key(cardiologist, 7, day, day + timedelta(days=1)) != key
    assert grid_cache_key(cardiologist, 7, day - timedelta(days=1), day) != key
    cardiologist.slot_minutes = 30
    assert grid_cache_key(cardiologist, 7, day, day) != key
    cardiologist.slot_minutes = 20
    cardiologist.clinic.timezone = "Asia/Kathmandu" if "GMT" in key else "UTC"
    assert grid_cache_key(cardiologist, 7, day, day) != key


def test_the_database_renews_the_stamp_on_every_path(cardiologist, clinic, at, next_monday):
    stamps = {schedule_version(cardiologist)}
    assert None not in stamps  # the preset's rules already stamped it
    rule = monday_afternoon(cardiologist)

    def renewed() -> None:
        stamp = schedule_version(cardiologist)
        assert stamp not in stamps
        stamps.add(stamp)

    AvailabilityRule.objects.filter(pk=rule.pk).update(end_time=time(16))
    renewed()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM scheduling_availabilityrule WHERE id = %s", [rule.pk])
    renewed()
    TimeOff.objects.bulk_create(
        [TimeOff(clinic=clinic, starts_at=at(next_monday, 9), ends_at=at(next_monday, 10))]
    )
    renewed()


def test_a_stamp_is_not_reused_after_a_rollback(cardiologist):
    rule = AvailabilityRule.objects.filter(practitioner=cardiologist).first()
    seen = []

    def change_then_fail() -> None:
        with transaction.atomic():
            AvailabilityRule.objects.filter(pk=rule.pk).update(end_time=time(12, 40))
            seen.append(schedule_version(cardiologist))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()
    rolled_back = seen[0]
    AvailabilityRule.objects.filter(pk=rule.pk).update(end_time=time(12, 40))
    assert schedule_version(cardiologist) != rolled_back


def test_the_stamp_triggers_exist_on_this_database():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid IN "
                "('scheduling_availabilityrule'::regclass, 'scheduling_timeoff'::regclass) "
                "AND NOT tgisinternal"
            )
            expected = {
                f"{table}_schedule{suffix}"
                for table in ("scheduling_availabilityrule", "scheduling_timeoff")
                for suffix in ("", "_truncate")
            }
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = {
                f"{table}_schedule_{event}"
                for table in ("scheduling_availabilityrule", "scheduling_timeoff")
                for event in ("insert", "update", "delete")
            }
        assert expected <= {row[0] for row in cursor.fetchall()}
    assert ScheduleVersion._meta.db_table == "scheduling_scheduleversion"
