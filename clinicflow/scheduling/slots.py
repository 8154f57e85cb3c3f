"""Free slots, computed — never stored: the doctor's weekly rules in the clinic's local time,
minus time off, minus active appointments, minus the past. Correct across daylight-saving
changes: a local time that does not exist that day is skipped, and a slot's end is its start
plus its length in real time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from clinicflow.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AvailabilityRule,
    Practitioner,
    ScheduleVersion,
    TimeOff,
)

#: How far ahead "next free slot" looks.
SEARCH_DAYS = 60


@dataclass(frozen=True, order=True)
class Slot:
    starts_at: datetime  # aware, UTC
    ends_at: datetime
    practitioner_id: int

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.starts_at < end and start < self.ends_at


def _local_instant(wall_clock: datetime, zone: ZoneInfo) -> datetime | None:
    """The real instant of a naive wall-clock time in ``zone``, or None when the clocks skip
    that time (spring forward). A repeated time (fall back) is its first occurrence."""
    local = wall_clock.replace(tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall_clock:
        return None
    return local.astimezone(UTC)


def _rule_applies(rule: AvailabilityRule, day: date) -> bool:
    return (
        rule.weekday == day.weekday()
        and (rule.valid_from is None or rule.valid_from <= day)
        and (rule.valid_until is None or day <= rule.valid_until)
    )


#: A grid is found by its schedule stamp, so it never goes stale; the lifetime only lets the
#: grids of old stamps and past weeks leave the cache.
GRID_CACHE_SECONDS = 24 * 60 * 60


def grid_cache_key(practitioner: Practitioner, version: int | None, first: date, last: date) -> str:
    """Everything the grid depends on: the doctor, the stamp of their rules and time off (and
    of their clinic's holidays), their slot length, their clinic and its timezone, the dates."""
    clinic = practitioner.clinic
    return (
        f"slots:grid:{practitioner.pk}:{'none' if version is None else version}"
        f":{practitioner.slot_minutes}:{clinic.pk}:{clinic.timezone}"
        f":{first.isoformat()}:{last.isoformat()}"
    )


def schedule_version(practitioner: Practitioner) -> int | None:
    """The stamp the database keeps of the doctor's rules and time off (None before their
    first change: then the rows have not changed since there was no stamp). One query."""
    return (
        ScheduleVersion.objects.filter(practitioner_id=practitioner.pk)
        .values_list("version", flat=True)
        .first()
    )


def working_slots(practitioner: Practitioner, first: date, last: date) -> list[Slot]:
    """Slots inside the doctor's rules, minus time off, from ``first`` to ``last`` (local
    dates, inclusive), from the cache under the doctor's schedule stamp: one query when
    cached, three when not. The stamp is read before the rules, so a grid is never cached
    under a stamp newer than the rows it was computed from."""
    key = grid_cache_key(practitioner, schedule_version(practitioner), first, last)
    grid = cache.get(key)
    if grid is None:
        grid = _compute_working_slots(practitioner, first, last)
        cache.set(key, grid, timeout=GRID_CACHE_SECONDS)
    return list(grid)


def _compute_working_slots(practitioner: Practitioner, first: date, last: date) -> list[Slot]:
    """The grid, read from the rules and time off (two queries)."""
    zone = practitioner.clinic.zone
    length = timedelta(minutes=practitioner.slot_minutes)
    rules = list(
        AvailabilityRule.objects.for_clinic(practitioner.clinic).filter(practitioner=practitioner)
    )
    window_start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    window_end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    away = list(
        TimeOff.objects.for_clinic(practitioner.clinic)
        .filter(Q(practitioner=practitioner) | Q(practitioner__isnull=True))
        .filter(starts_at__lt=window_end, ends_at__gt=window_start)
        .values_list("starts_at", "ends_at")
    )
    slots: list[Slot] = []
    day = first
    while day <= last:
        for rule in rules:
            if not _rule_applies(rule, day):
                continue
            cursor = datetime.combine(day, rule.start_time)
            stop = datetime.combine(day, rule.end_time)
            while cursor + length <= stop:
                start = _local_instant(cursor, zone)
                if start is not None:
                    end = start + length
                    if not any(start < off_end and off_start < end for off_start, off_end in away):
                        slots.append(Slot(start, end, practitioner.pk))
                cursor += length
        day += timedelta(days=1)
    # In order and without repeats (two rules of a day may overlap); sorted by a key, not by
    # the dataclass's field-by-field comparison, which costs a Python call per comparison.
    unique = dict.fromkeys(slots)
    return sorted(unique, key=lambda s: (s.starts_at, s.ends_at, s.practitioner_id))


def _busy(practitioner: Practitioner, first: date, last: date) -> list[tuple[datetime, datetime]]:
    """The active appointments of the doctor touching these local dates, by start (read from
    the partial index of active appointments; two columns only)."""
    zone = practitioner.clinic.zone
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return list(
        Appointment.objects.for_clinic(practitioner.clinic)
        .filter(practitioner=practitioner, status__in=ACTIVE_STATUSES)
        .filter(starts_at__lt=end, ends_at__gt=start)
        .order_by("starts_at")
        .values_list("starts_at", "ends_at")
    )


def _without(slots: list[Slot], taken: list[tuple[datetime, datetime]]) -> list[Slot]:
    """The slots not yet past and overlapping none of ``taken``, in one pass over both sorted
    lists (slots by start, taken by start): linear, not slots × appointments."""
    now = timezone.now()
    taken = sorted(taken)
    free: list[Slot] = []
    first = 0  # taken[:first] all end before the current slot starts, so before every later one
    for slot in slots:
        while first < len(taken) and taken[first][1] <= slot.starts_at:
            first += 1
        if slot.starts_at < now:
            continue
        clash = False
        index = first
        while index < len(taken) and taken[index][0] < slot.ends_at:
            if taken[index][1] > slot.starts_at:
                clash = True
                break
            index += 1
        if not clash:
            free.append(slot)
    return free


def free_slots(practitioner: Practitioner, first: date, last: date) -> list[Slot]:
    """Bookable slots of one doctor between two local dates (three queries)."""
    return free_among(practitioner, working_slots(practitioner, first, last), first, last)


def free_among(
    practitioner: Practitioner, working: list[Slot], first: date, last: date
) -> list[Slot]:
    """The bookable ones of ``working``, the doctor's working slots from ``first`` to ``last``
    already computed (one query)."""
    return _without(working, _busy(practitioner, first, last))


def next_free_slot(practitioners: Iterable[Practitioner], *, from_day: date) -> Slot | None:
    """The earliest free slot of any of these doctors ("first free cardiologist"), looking a
    week at a time up to ``SEARCH_DAYS`` ahead."""
    doctors = [p for p in practitioners if p.is_active]
    for offset in range(0, SEARCH_DAYS, 7):
        first = from_day + timedelta(days=offset)
        last = first + timedelta(days=6)
        found = [s for p in doctors for s in free_slots(p, first, last)[:1]]
        if found:
            return min(found)
    return None
