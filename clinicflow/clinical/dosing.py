"""How often, how much, and in words: the arithmetic of a prescription item."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from django.utils.translation import gettext as _

from clinicflow.clinical.models import Frequency, PrescriptionItem
from clinicflow.core.errors import DomainError

#: The usual times of day of each fixed frequency (the patient's medicine schedule).
TIMES: dict[str, tuple[str, ...]] = {
    Frequency.OD: ("08:00",),
    Frequency.BD: ("08:00", "20:00"),
    Frequency.TDS: ("08:00", "14:00", "20:00"),
    Frequency.QID: ("06:00", "12:00", "18:00", "22:00"),
    Frequency.HS: ("21:00",),
}
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def times_of_day(frequency: str, every_hours: int | None, times: str) -> tuple[str, ...]:
    """The clock times of the doses (empty for "when needed")."""
    if frequency == Frequency.TIMES:
        chosen = tuple(t.strip() for t in times.split(",") if t.strip())
        if not chosen or not all(TIME.match(t) for t in chosen):
            raise DomainError(_("Give the times as HH:MM, separated by commas."), field="times")
        return tuple(sorted(set(chosen)))
    if frequency == Frequency.EVERY_HOURS:
        if not every_hours or not 1 <= every_hours <= 24 or 24 % every_hours:
            raise DomainError(_("Every 1, 2, 3, 4, 6, 8, 12 or 24 hours."), field="every_hours")
        return tuple(f"{hour:02d}:00" for hour in range(6, 30, every_hours) if hour - 6 < 24)
    if frequency in TIMES:
        return TIMES[frequency]
    if frequency == Frequency.PRN:
        return ()
    raise DomainError(_("Choose how often."), field="frequency")


@dataclass(frozen=True)
class Clock:
    """Where a dose's time of day falls: "every N hours" counts on from the course day's first
    dose, so "26:00" of a day is 02:00 of the next."""

    at: time
    days_later: int = 0


def clock_of(time_of_day: str) -> Clock | None:
    """The wall-clock time of a dose's time of day, and how many days after its course day it
    falls; None for a text that is no time. The one reading of a time of day: the moment a
    dose is due (adherence, reminders) and every place that shows it."""
    try:
        hours, minutes = (int(part) for part in time_of_day.split(":"))
        return Clock(time(hours % 24, minutes), hours // 24)
    except ValueError:
        return None


def clock_shown(time_of_day: str) -> str:
    """A dose's time as people read it: "08:00"; "02:00 (next day)" for "26:00"."""
    clock = clock_of(time_of_day)
    if clock is None:
        return time_of_day
    shown = clock.at.strftime("%H:%M")
    if clock.days_later == 1:
        return _("%(time)s (next day)") % {"time": shown}
    if clock.days_later:
        return _("%(time)s (%(days)d days later)") % {"time": shown, "days": clock.days_later}
    return shown


def quantity(dose: Decimal, doses_a_day: int, days: int) -> Decimal:
    """Units to hand out: dose × doses a day × days, rounded up to a whole unit."""
    return Decimal(math.ceil(dose * doses_a_day * days))


def in_words(item: PrescriptionItem) -> str:
    """The item as the label and the print say it: "1 tablet twice a day for 5 days, after
    food"."""
    dose = item.dose
    amount = f"{dose.normalize():f} {item.dose_unit}"
    frequency = item.frequency
    if frequency == Frequency.EVERY_HOURS:
        how_often = _("every %(n)d hours") % {"n": item.every_hours}
    elif frequency == Frequency.TIMES:
        how_often = _("at %(times)s") % {"times": item.times_of_day.replace(",", ", ")}
    else:
        how_often = str(Frequency(frequency).label)
    words = _("%(amount)s %(how_often)s for %(days)d days") % {
        "amount": amount,
        "how_often": how_often,
        "days": item.duration_days,
    }
    instructions = item.instructions
    return f"{words}, {instructions}" if instructions else words
