"""The vital signs a nurse records: what each is (LOINC code, UCUM unit), which values are
impossible (refused) and which are abnormal (accepted and flagged). Adult ranges; one table, so
a clinic's rules change here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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
