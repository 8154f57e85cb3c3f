"""Ages of reference ranges as people write and read them.

The catalogue stores an age band in days (``ReferenceRange.age_from_days`` inclusive,
``age_to_days`` exclusive), which is exact for a newborn but unreadable for an adult. A lab
manager writes ``28d``, ``6w``, ``3m`` or ``18y`` in the catalogue's CSV; a report reads
"0–28 days" or "18 years and over".

A month is 30.4375 days and a year 365.25 (leap years averaged), rounded half up to the day:
18 years are 6575 days. Whatever a file says is turned into days once; writing days back picks
the largest unit that gives the same number of days again, so a file read and written back is
unchanged.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

#: Days in one of each unit a file may use.
UNIT_DAYS = {"y": Decimal("365.25"), "m": Decimal("30.4375"), "w": Decimal(7), "d": Decimal(1)}
_AGE = re.compile(r"^(\d{1,5})\s*([ymwd]?)$")
#: Beyond any patient: a band "to 150y" is refused as a typing slip for "no upper bound".
OLDEST_DAYS = 150 * 366


def to_days(text: str) -> int:
    """Days in ``text`` ("18y", "3m", "6w", "28d"; a bare number is days). ``ValueError``
    with a message a lab manager understands when it is not an age."""
    found = _AGE.match(text.strip().lower())
    if found is None:
        raise ValueError(_("write an age as days, weeks, months or years: 28d, 6w, 3m, 18y"))
    number, unit = int(found.group(1)), found.group(2) or "d"
    days = int((number * UNIT_DAYS[unit]).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if days > OLDEST_DAYS:
        raise ValueError(_("older than any patient"))
    return days


def _in_unit(days: int) -> tuple[int, str]:
    """The largest unit in which ``days`` is a whole number of it (read back exactly).
    Weeks are read but never written: "28 days" is how a newborn's band is spoken of."""
    for unit in ("y", "m"):
        size = UNIT_DAYS[unit]
        number = int((days / size).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if number and to_days(f"{number}{unit}") == days:
            return number, unit
    return days, "d"


def as_text(days: int | None) -> str:
    """How the CSV writes an age: "18y", "3m", "28d"; empty for no bound, "0" for birth."""
    if days is None:
        return ""
    if days == 0:
        return "0"
    number, unit = _in_unit(days)
    return f"{number}{unit}"


def _spoken(days: int) -> str:
    number, unit = _in_unit(days)
    names = {
        "y": ngettext("%d year", "%d years", number),
        "m": ngettext("%d month", "%d months", number),
        "d": ngettext("%d day", "%d days", number),
    }
    return names[unit] % number


def describe(age_from_days: int, age_to_days: int | None) -> str:
    """A band as a report prints it: "All ages", "0–28 days", "28 days–1 year", "18 years
    and over", "Under 1 year"."""
    if age_to_days is None:
        if age_from_days == 0:
            return _("All ages")
        return _("%(age)s and over") % {"age": _spoken(age_from_days)}
    upper = _spoken(age_to_days)
    if age_from_days == 0:
        # "0–28 days" reads better than "Under 28 days" for a newborn's first weeks.
        if age_to_days < 365:
            return f"0–{upper}"
        return _("Under %(age)s") % {"age": upper}
    lower_number, lower_unit = _in_unit(age_from_days)
    _upper_number, upper_unit = _in_unit(age_to_days)
    if lower_unit == upper_unit:
        return f"{lower_number}–{upper}"
    return f"{_spoken(age_from_days)}–{upper}"
