"""Free slots: rules minus breaks, leave and bookings, in local time, across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinicflow.accounts.actors import actor_for
from clinicflow.scheduling.models import AvailabilityRule, TimeOff
from clinicflow.scheduling.services import add_rule
from clinicflow.scheduling.slots import Slot, _without, free_slots, next_free_slot, working_slots

pytestmark = pytest.mark.django_db


def local_times(slots, zone):
    return [s.starts_at.astimezone(zone).strftime("%H:%M") for s in slots]


def test_a_full_day_has_twenty_minute_slots_and_a_lunch_break(cardiologist, next_monday, clinic):
    times = local_times(free_slots(cardiologist, next_monday, next_monday), clinic.zone)
    assert times[0] == "09:00"
    assert "12:40" in times
    assert "13:00" not in times
    assert "13:40" not in times
    assert times[-1] == "16:40"
    assert len(times) == 12 + 9


def test_booked_slots_and_leave_are_not_free(cardiologist, next_monday, clinic, at, book):
    book(at(next_monday, 9, 20))
    TimeOff.objects.create(
        clinic=clinic,
        practitioner=cardiologist,
        starts_at=at(next_monday, 14),
        ends_at=at(next_monday, 17),
        reason="Conference",
    )
    times = local_times(free_slots(cardiologist, next_monday, next_monday), clinic.zone)
    assert "09:20" not in times
    assert "09:00" in times
    assert "09:40" in times
    assert not [t for t in times if t >= "14:00"]  # a shorter day


def test_a_clinic_wide_holiday_closes_every_doctor(cardiologist, next_monday, clinic, at):
    TimeOff.objects.create(
        clinic=clinic,
        starts_at=at(next_monday, 0),
        ends_at=at(next_monday + timedelta(days=1), 0),
        reason="Dashain",
    )
    assert free_slots(cardiologist, next_monday, next_monday) == []


def test_extra_hours_on_one_date_only(cardiologist, manager, next_monday, clinic):
    add_rule(
        actor=actor_for(manager),
        practitioner=cardiologist,
        weekday=next_monday.weekday(),
        start_time=time(18),
        end_time=time(19),
        valid_from=next_monday,
        valid_until=next_monday,
    )
    assert "18:00" in local_times(free_slots(cardiologist, next_monday, next_monday), clinic.zone)
    week_later = next_monday + timedelta(days=7)
    assert "18:00" not in local_times(free_slots(cardiologist, week_later, week_later), clinic.zone)


def test_the_past_is_never_free(cardiologist, clinic):
    yesterday = date.today() - timedelta(days=1)
    assert free_slots(cardiologist, yesterday, yesterday) == []
    assert working_slots(cardiologist, yesterday, yesterday)  # the hours were there


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Spring forward in London: 01:00–02:00 does not exist on 29 March 2026.
        (date(2026, 3, 29), ["00:00", "00:30", "02:00", "02:30"]),
        # Fall back on 25 October 2026: 01:00–02:00 happens twice; each slot is 30 real minutes.
        (date(2026, 10, 25), ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30"]),
    ],
)
def test_slots_follow_daylight_saving_changes(cardiologist, clinic, day, expected):
    clinic.timezone = "Europe/London"
    clinic.save()
    cardiologist.refresh_from_db()
    cardiologist.slot_minutes = 30
    cardiologist.save()
    AvailabilityRule.objects.for_clinic(clinic).filter(practitioner=cardiologist).delete()
    AvailabilityRule.objects.create(
        clinic=clinic,
        practitioner=cardiologist,
        weekday=day.weekday(),
        start_time=time(0),
        end_time=time(3),
    )
    slots = working_slots(cardiologist, day, day)
    assert local_times(slots, clinic.zone) == expected
    assert all((s.ends_at - s.starts_at) == timedelta(minutes=30) for s in slots)


def test_next_free_slot_of_a_specialization(cardiologist, next_monday, at, book, clinic):
    book(at(next_monday, 9))
    slot = next_free_slot([cardiologist], from_day=next_monday)
    assert slot.starts_at.astimezone(clinic.zone).strftime("%H:%M") == "09:20"


def test_free_slots_cost_two_queries_however_busy_the_week_once_the_grid_is_cached(
    cardiologist, next_monday, at, book, django_assert_num_queries, register
):
    for n in range(12):
        book(
            at(next_monday, 9, 0) + timedelta(minutes=20 * n),
            for_patient=register(given_name=f"P{n}"),
        )
    cardiologist.clinic  # noqa: B018 - loaded with the profile in real use
    week = (next_monday, next_monday + timedelta(days=6))
    with django_assert_num_queries(4):  # the stamp, rules, time off, appointments
        free_slots(cardiologist, *week)
    with django_assert_num_queries(2):  # the stamp, appointments
        free_slots(cardiologist, *week)


def _naive_without(slots, taken, now):
    return [
        s
        for s in slots
        if s.starts_at >= now and not any(s.starts_at < b and a < s.ends_at for a, b in taken)
    ]


@given(
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 90)), max_size=30),
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 120)), max_size=30),
)
@settings(max_examples=300, deadline=None)
def test_slots_minus_appointments_in_one_pass_matches_checking_every_pair(slot_specs, busy_specs):
    """The linear merge frees exactly the slots that the obvious slots × appointments check
    frees, overlapping and unsorted appointments included."""
    origin = datetime(2030, 1, 7, 3, 0, tzinfo=UTC)
    minute = timedelta(minutes=1)
    slots = sorted({Slot(origin + a * minute, origin + (a + n) * minute, 1) for a, n in slot_specs})
    taken = [(origin + a * minute, origin + (a + n) * minute) for a, n in busy_specs]
    assert _without(slots, taken) == _naive_without(slots, taken, origin)
