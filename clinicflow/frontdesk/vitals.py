"""The vital signs a nurse records: what each is (LOINC code, UCUM unit), which values are
impossible (refused) and which are abnormal (accepted and flagged). Adult ranges; one table, so
a clinic's rules change here and nowhere else. And how people read them (``readings``): units
for people, blood pressure as one reading."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clinicflow.frontdesk.models import ObservationFlag as Flag


@dataclass(frozen=True)
class Vital:
    key: str
    label: str | Promise
    code: str  # LOINC
    unit: str  # UCUM
    shown_unit: str
    possible: tuple[Decimal, Decimal]  # outside: refused as impossible
    normal: tuple[Decimal, Decimal] | None = None  # outside: low / high
    critical: tuple[Decimal, Decimal] | None = None  # outside: critically low / high
    decimals: int = 0

    def flag(self, value: Decimal) -> str:
        if self.critical is not None:
            if value < self.critical[0]:
                return Flag.CRITICAL_LOW
            if value > self.critical[1]:
                return Flag.CRITICAL_HIGH
        if self.normal is not None:
            if value < self.normal[0]:
                return Flag.LOW
            if value > self.normal[1]:
                return Flag.HIGH
        return Flag.NORMAL


def _d(low: str, high: str) -> tuple[Decimal, Decimal]:
    return Decimal(low), Decimal(high)


VITALS: tuple[Vital, ...] = (
    Vital("height", _("Height"), "8302-2", "cm", "cm", _d("20", "272"), decimals=1),
    Vital("weight", _("Weight"), "29463-7", "kg", "kg", _d("0.3", "500"), decimals=1),
    Vital(
        "temperature",
        _("Temperature"),
        "8310-5",
        "Cel",
        "°C",
        _d("25", "45"),
        normal=_d("35.5", "37.5"),
        critical=_d("35", "40"),
        decimals=1,
    ),
    Vital(
        "pulse",
        _("Pulse"),
        "8867-4",
        "/min",
        "bpm",
        _d("20", "300"),
        normal=_d("60", "100"),
        critical=_d("40", "130"),
    ),
    Vital(
        "respiratory_rate",
        _("Respiratory rate"),
        "9279-1",
        "/min",
        "/min",
        _d("2", "80"),
        normal=_d("12", "20"),
        critical=_d("8", "30"),
    ),
    Vital(
        "systolic",
        _("Systolic BP"),
        "8480-6",
        "mm[Hg]",
        "mmHg",
        _d("40", "300"),
        normal=_d("90", "139"),
        critical=_d("70", "179"),
    ),
    Vital(
        "diastolic",
        _("Diastolic BP"),
        "8462-4",
        "mm[Hg]",
        "mmHg",
        _d("20", "200"),
        normal=_d("60", "89"),
        critical=_d("40", "119"),
    ),
    Vital(
        "spo2",
        _("SpO₂"),
        "59408-5",
        "%",
        "%",
        _d("30", "100"),
        normal=_d("95", "100"),
        critical=_d("90", "100"),
    ),
    Vital(
        "glucose",
        _("Blood glucose"),
        "2339-0",
        "mg/dL",
        "mg/dL",
        _d("10", "1000"),
        normal=_d("70", "180"),
        critical=_d("54", "400"),
    ),
)

#: Computed from height and weight, never typed.
BMI = Vital(
    "bmi",
    _("BMI"),
    "39156-5",
    "kg/m2",
    "kg/m²",
    _d("5", "150"),
    normal=_d("18.5", "24.9"),
    critical=_d("15", "40"),
    decimals=1,
)

BY_KEY = {vital.key: vital for vital in (*VITALS, BMI)}
BY_CODE = {vital.code: vital for vital in (*VITALS, BMI)}


def bmi(height_cm: Decimal, weight_kg: Decimal) -> Decimal:
    metres = height_cm / 100
    return (weight_kg / (metres * metres)).quantize(Decimal("0.1"))


# ---------------------------------------------------------------- how people read them

#: Flags from least to most worrying: a reading of two values shows the worse.
_FLAG_ORDER = (Flag.NORMAL, Flag.LOW, Flag.HIGH, Flag.CRITICAL_LOW, Flag.CRITICAL_HIGH)
#: Where each vital sign is shown in a set: the order of the form, BMI after the weight.
_POSITION = {vital.code: n for n, vital in enumerate((*VITALS[:2], BMI, *VITALS[2:]))}
SYSTOLIC, DIASTOLIC = BY_KEY["systolic"], BY_KEY["diastolic"]


@dataclass(frozen=True)
class Reading:
    """One vital sign as people read it: "BP 120/80 mmHg", "Temperature 38.6 °C". The data
    and the API keep LOINC codes and UCUM units; pages, the timeline and prints show these."""

    label: str
    value: str
    unit: str
    flag: str
    taken_at: datetime

    def __str__(self) -> str:
        return f"{self.label} {self.value} {self.unit}".strip()

    @property
    def is_abnormal(self) -> bool:
        return self.flag != Flag.NORMAL

    @property
    def flag_label(self) -> str:
        return str(Flag(self.flag).label)


def _number(value: Decimal) -> str:
    """38.6, 120, 0.5: no trailing zeros, never an exponent (Decimal("100").normalize() is
    1E+2)."""
    return f"{value.normalize():f}"


def _reading(row: Any) -> Reading:
    vital = BY_CODE.get(row.code)
    return Reading(
        label=str(vital.label) if vital else row.name,
        value=_number(row.value),
        unit=vital.shown_unit if vital else row.unit,
        flag=row.flag,
        taken_at=row.taken_at,
    )


def readings(observations: Iterable[Any]) -> list[Reading]:
    """Observations (frontdesk ``Observation`` rows) as readings: each set taken together in
    the order of the form, newest set first, blood pressure as one reading of its two values
    (systolic first) when both were taken together."""
    sets: dict[datetime, list[Any]] = {}
    for row in observations:
        sets.setdefault(row.taken_at, []).append(row)
    shown = []
    for taken_at in sorted(sets, reverse=True):
        rows = sorted(sets[taken_at], key=lambda o: _POSITION.get(o.code, len(_POSITION)))
        by_code = {row.code: row for row in rows}
        pair = (by_code.get(SYSTOLIC.code), by_code.get(DIASTOLIC.code))
        for row in rows:
            if pair[0] is not None and pair[1] is not None and row in pair:
                if row is pair[0]:
                    shown.append(_blood_pressure(*pair))
                continue
            shown.append(_reading(row))
    return shown


def _blood_pressure(systolic: Any, diastolic: Any) -> Reading:
    return Reading(
        label=str(_("BP")),
        value=f"{_number(systolic.value)}/{_number(diastolic.value)}",
        unit=SYSTOLIC.shown_unit,
        flag=max(systolic.flag, diastolic.flag, key=_FLAG_ORDER.index),
        taken_at=systolic.taken_at,
    )
