"""Which reference range applies to a patient, how a value is flagged against it, and what a
result keeps of it.

A range is chosen by the patient's age in days on the day the sample was collected (a newborn's
ranges change by the week) and by sex: a range for the patient's own sex wins over one for
"any". Age bands include their first day and exclude their last (``age_to_days``), so the day a
child turns into the next band, the next band applies.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol

from clinicflow.core.errors import DomainError
from clinicflow.lab.models import Parameter, RangeSex, ReferenceRange

Flag = Literal["", "L", "H", "LL", "HH"]


class Limits(Protocol):
    @property
    def low(self) -> Decimal | None: ...
    @property
    def high(self) -> Decimal | None: ...
    @property
    def critical_low(self) -> Decimal | None: ...
    @property
    def critical_high(self) -> Decimal | None: ...


@dataclass(frozen=True)
class AppliedRange:
    """The range a result was flagged against, as it stood then. A result stores
    ``as_dict()`` so a later change to the catalogue never rewrites what was reported."""

    low: Decimal | None
    high: Decimal | None
    critical_low: Decimal | None
    critical_high: Decimal | None
    text: str
    sex: str
    age_from_days: int
    age_to_days: int | None

    @classmethod
    def of(cls, reference: ReferenceRange) -> AppliedRange:
        return cls(
            low=reference.low,
            high=reference.high,
            critical_low=reference.critical_low,
            critical_high=reference.critical_high,
            text=reference.text,
            sex=reference.sex,
            age_from_days=reference.age_from_days,
            age_to_days=reference.age_to_days,
        )

    def as_dict(self) -> dict[str, str | int | None]:
        """JSON-ready: limits as decimal strings, so no float ever rounds them."""
        return {
            key: str(value) if isinstance(value, Decimal) else value
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, str | int | None]) -> AppliedRange:
        def limit(key: str) -> Decimal | None:
            value = data.get(key)
            return None if value is None else Decimal(str(value))

        age_to = data.get("age_to_days")
        return cls(
            low=limit("low"),
            high=limit("high"),
            critical_low=limit("critical_low"),
            critical_high=limit("critical_high"),
            text=str(data.get("text") or ""),
            sex=str(data.get("sex") or RangeSex.ANY),
            age_from_days=int(data.get("age_from_days") or 0),
            age_to_days=None if age_to is None else int(age_to),
        )

    @property
    def display(self) -> str:
        """How a report prints it: "3.5–5.0", "< 200", "> 40" or the normal text."""
        if self.low is not None and self.high is not None:
            return f"{self.low.normalize():f}–{self.high.normalize():f}"
        if self.high is not None:
            return f"≤ {self.high.normalize():f}"
        if self.low is not None:
            return f"≥ {self.low.normalize():f}"
        return self.text


def age_in_days(birth_date: date, on: date) -> int:
    if on < birth_date:
        raise DomainError(
            "The sample's collection date is before the patient's date of birth.",
            code="collected_before_birth",
        )
    return (on - birth_date).days


def applicable_range(
    parameter: Parameter, *, sex: str, birth_date: date | None, on: date
) -> ReferenceRange | None:
    """The range of ``parameter`` for a patient of ``sex`` ("male", "female"; anything else
    reads only ranges for any sex) born on ``birth_date``, for a sample collected ``on``.

    A range for the patient's sex wins over one for any sex; among equals the narrower band
    (the later start) wins. Without a date of birth only a range for every age applies.
    None when no range fits: the result is then reported unflagged."""
    sexes = [RangeSex.ANY] + ([sex] if sex in (RangeSex.MALE, RangeSex.FEMALE) else [])
    candidates = [r for r in parameter.ranges.all() if r.sex in sexes]
    if birth_date is None:
        fitting = [r for r in candidates if r.age_from_days == 0 and r.age_to_days is None]
    else:
        age = age_in_days(birth_date, on)
        fitting = [
            r
            for r in candidates
            if r.age_from_days <= age and (r.age_to_days is None or age < r.age_to_days)
        ]
    if not fitting:
        return None
    return min(fitting, key=lambda r: (r.sex == RangeSex.ANY, -r.age_from_days, r.pk))


def flag(value: Decimal, limits: Limits | None) -> Flag:
    """ "LL"/"HH" beyond a critical limit, "L"/"H" beyond the normal ones, "" otherwise. A
    value equal to a limit is within it (a range of 3.5–5.0 holds 3.5 and 5.0)."""
    if limits is None:
        return ""
    if limits.critical_low is not None and value < limits.critical_low:
        return "LL"
    if limits.critical_high is not None and value > limits.critical_high:
        return "HH"
    if limits.low is not None and value < limits.low:
        return "L"
    if limits.high is not None and value > limits.high:
        return "H"
    return ""


def check_plausible(parameter: Parameter, value: Decimal) -> None:
    """Refuse a value no living patient's sample can have: a typing slip or a broken sample,
    which must be looked at again rather than reported as critical."""
    unit = f" {parameter.unit_label or parameter.unit}".rstrip()
    if parameter.absolute_low is not None and value < parameter.absolute_low:
        bound = f"below {parameter.absolute_low.normalize():f}{unit}"
    elif parameter.absolute_high is not None and value > parameter.absolute_high:
        bound = f"above {parameter.absolute_high.normalize():f}{unit}"
    else:
        return
    raise DomainError(
        f"{value.normalize():f}{unit} is not a plausible {parameter.name} ({bound}). "
        "Check the entry and the sample.",
        field="value",
        code="implausible",
    )


def shown(applied: dict[str, str | int | None] | None) -> str:
    """How a stored result's applied range prints ("" when it had none)."""
    return AppliedRange.from_dict(applied).display if applied else ""
