"""Quiet hours: the part of the night, in the clinic's zone, when only urgent messages go out.
A message raised then waits for the morning."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo


def is_quiet(moment: time, quiet_from: time, quiet_until: time) -> bool:
    """Whether a local time of day falls in the quiet hours (which may cross midnight; equal
    ends mean none)."""
    if quiet_from == quiet_until:
        return False
    if quiet_from < quiet_until:
        return quiet_from <= moment < quiet_until
    return moment >= quiet_from or moment < quiet_until


def next_allowed(now: datetime, zone: tzinfo, quiet_from: time, quiet_until: time) -> datetime:
    """``now`` outside the quiet hours; otherwise the moment they end (in ``zone``)."""
    local = now.astimezone(zone)
    if not is_quiet(local.time(), quiet_from, quiet_until):
        return now
    end_day = local.date()
    if local.time() >= quiet_until:
        end_day += timedelta(days=1)
    return datetime.combine(end_day, quiet_until, tzinfo=zone)
