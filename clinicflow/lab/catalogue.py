"""The lab's catalogue as one spreadsheet: an import that checks every row first and changes
nothing unless all are good, the export that reads back unchanged, and the few changes made
one at a time (a test's price and active flag, a new section).

The file (CSV, UTF-8) has one row per reference range. Each row repeats its test's columns
and its parameter's columns, so the file can be sorted and filtered in a spreadsheet and
every row reads on its own:

``test_code, test_name, test_loinc, section, sample_type, container, turnaround_minutes,
price, active, panel_members``
    The test. ``section`` names one of the lab's sections (added on the lab's settings page);
    ``sample_type`` is blood, serum, plasma, urine, stool, swab or other; ``price`` is in the
    clinic's currency; ``active`` yes or no. A **panel** lists the codes of its member tests in
    ``panel_members`` (``UREA;CREA;NA;K``, in report order) and has one row with the
    parameter and range columns empty: what it reports are its members' parameters.

``parameter_code, parameter_name, parameter_loinc, unit, unit_label, result_type, decimals,
choices, formula, absolute_low, absolute_high, delta_percent``
    What the test reports. ``unit`` is UCUM (``10*3/uL``), ``unit_label`` what the report
    prints (``×10³/µL``). ``result_type`` is numeric, choice, text or calculated; a choice
    lists its answers in ``choices`` (``Nil;Trace;+;++;+++``); a calculated one names its
    ``formula`` (``ldl_friedewald``, ``egfr_ckd_epi_2021``, ``ag_ratio``), whose inputs are the
    other parameters of the same test by code (``total_cholesterol``, ``hdl``...). A value
    beyond ``absolute_low``/``absolute_high`` is refused as a typing or sample error; a change
    from the patient's last result beyond ``delta_percent`` is flagged for a second look.

``sex, age_from, age_to, low, high, critical_low, critical_high, normal``
    One reference range: ``sex`` any, male or female; ages as ``28d``, ``3m`` or ``18y``
    (``age_from`` included, ``age_to`` excluded, empty for no upper bound); the normal
    limits, the critical ones, and ``normal``, the expected answer of a choice or text result
    (``Negative``). A parameter without a range has one row with these columns empty.

A test's rows go together, and a parameter's within its test; after a test's first row its
columns and its parameter's may be left empty on the next rows (a different value is an
error). Codes are matched with the catalogue: a test in the file is added or replaced by the
file's description (its parameters, ranges and members); tests the file does not name are left
alone. Nothing is ever deleted that a result needs: a test is retired with ``active`` = no,
and a parameter that has results cannot be left out. Stored results keep the range they were
flagged against (``ranges.AppliedRange``), so no change here rewrites one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.core.imports import ImportRefused, RowError, cell, csv_rows
from clinicflow.core.lists import Column
from clinicflow.lab import age_bands
from clinicflow.lab.calculations import FORMULAS
from clinicflow.lab.models import (
    LabSection,
    LabTest,
    PanelMember,
    Parameter,
    RangeSex,
    ReferenceRange,
    Result,
    ResultType,
    SampleType,
)

MANAGE = "lab.catalogue.manage"

TEST_COLUMNS = (
    "test_code", "test_name", "test_loinc", "section", "sample_type", "container",
    "turnaround_minutes", "price", "active", "panel_members",
)  # fmt: skip
PARAMETER_COLUMNS = (
    "parameter_code", "parameter_name", "parameter_loinc", "unit", "unit_label", "result_type",
    "decimals", "choices", "formula", "absolute_low", "absolute_high", "delta_percent",
)  # fmt: skip
RANGE_COLUMNS = (
    "sex", "age_from", "age_to", "low", "high", "critical_low", "critical_high", "normal",
)  # fmt: skip
COLUMNS = TEST_COLUMNS + PARAMETER_COLUMNS + RANGE_COLUMNS
LIMITS = ("low", "high", "critical_low", "critical_high")
MAX_ROWS = 5_000
SEPARATOR = ";"
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}

# ---------------------------------------------------------------- reading one cell

_TEST_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_.-]{0,19}$")
_PARAMETER_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,19}$")
_LOINC = re.compile(r"^\d{1,7}-\d$")


def _text(limit: int) -> Callable[[str], str]:
    def read(text: str) -> str:
        text = " ".join(text.split())
        if len(text) > limit:
            raise ValueError(_("at most %d characters") % limit)
        return text

    return read


def _test_code(text: str) -> str:
    code = text.upper()
    if not _TEST_CODE.match(code):
        raise ValueError(_("letters, digits, - _ or . (at most 20), no spaces"))
    return code


def _parameter_code(text: str) -> str:
    if not _PARAMETER_CODE.match(text):
        raise ValueError(_("a letter, then letters, digits or _ (at most 20)"))
    return text


def _loinc(text: str) -> str:
    if not _LOINC.match(text):
        raise ValueError(_("a LOINC code looks like 2160-0"))
    return text


def _one_of(choices: type[Any]) -> Callable[[str], str]:
    """A value of a Django ``TextChoices`` by its value or its label, case aside."""

    def read(text: str) -> str:
        wanted = text.lower()
        for value, label in choices.choices:
            if wanted in (str(value).lower(), str(label).lower()):
                return str(value)
        raise ValueError(_("one of: %s") % ", ".join(str(v) for v in choices.values))

    return read


def _sex(text: str) -> str:
    return {"m": RangeSex.MALE, "f": RangeSex.FEMALE}.get(text.lower()) or _one_of(RangeSex)(text)


def _whole(low: int, high: int) -> Callable[[str], int]:
    def read(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValueError(
                _("a whole number from %(low)d to %(high)d") % {"low": low, "high": high}
            )
        return int(text)

    return read


def _number(places: int, *, signed: bool = True) -> Callable[[str], Decimal]:
    def read(text: str) -> Decimal:
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValueError(_("not a number")) from None
        if not number.is_finite() or abs(number) >= 10**9:
            raise ValueError(_("not a number"))
        if not signed and number < 0:
            raise ValueError(_("must be zero or more"))
        if number != number.quantize(Decimal(1).scaleb(-places)):
            raise ValueError(_("at most %d decimal places") % places)
        return number

    return read


def _flag(text: str) -> bool:
    if text.lower() in YES:
        return True
    if text.lower() in NO:
        return False
    raise ValueError(_("write yes or no"))


def _listed(read_one: Callable[[str], str]) -> Callable[[str], tuple[str, ...]]:
    """``a;b;c``, each read by ``read_one``, none twice (case aside)."""

    def read(text: str) -> tuple[str, ...]:
        items = tuple(read_one(part.strip()) for part in text.split(SEPARATOR) if part.strip())
        if len({item.lower() for item in items}) != len(items):
            raise ValueError(_("lists something twice"))
        return items

    return read


def _formula(text: str) -> str:
    if text not in FORMULAS:
        known = ", ".join(FORMULAS)
        raise ValueError(
            _("no formula called %(name)s (known: %(known)s)") % {"name": text, "known": known}
        )
    return text


#: Each column's reader (the cell's trimmed text in, the value out or ``ValueError``) and its
#: value when left empty (``REQUIRED``: must be given on the first row of its test/parameter).
REQUIRED = object()
READERS: dict[str, tuple[Callable[[str], Any], Any]] = {
    "test_code": (_test_code, REQUIRED),
    "test_name": (_text(120), REQUIRED),
    "test_loinc": (_loinc, ""),
    "section": (_text(80), REQUIRED),
    "sample_type": (_one_of(SampleType), REQUIRED),
    "container": (_text(60), ""),
    "turnaround_minutes": (_whole(1, 60 * 24 * 60), 60),
    "price": (_number(2, signed=False), Decimal(0)),
    "active": (_flag, True),
    "panel_members": (_listed(_test_code), ()),
    "parameter_code": (_parameter_code, REQUIRED),
    "parameter_name": (_text(120), REQUIRED),
    "parameter_loinc": (_loinc, ""),
    "unit": (_text(30), ""),
    "unit_label": (_text(30), ""),
    "result_type": (_one_of(ResultType), ResultType.NUMERIC),
    "decimals": (_whole(0, 4), 1),
    "choices": (_listed(_text(60)), ()),
    "formula": (_formula, ""),
    "absolute_low": (_number(4), None),
    "absolute_high": (_number(4), None),
    "delta_percent": (_whole(1, 1000), None),
    "sex": (_sex, RangeSex.ANY),
    "age_from": (age_bands.to_days, 0),
    "age_to": (age_bands.to_days, None),
    "low": (_number(4), None),
    "high": (_number(4), None),
    "critical_low": (_number(4), None),
    "critical_high": (_number(4), None),
    "normal": (_text(120), ""),
}

# ---------------------------------------------------------------- the file, grouped


@dataclass
class Part:
    """The columns of one test, parameter or range, as its first row gave them."""

    row: int
    values: dict[str, Any]

    def __getitem__(self, column: str) -> Any:
        return self.values[column]


@dataclass
class ParameterDraft(Part):
    ranges: list[Part] = field(default_factory=list)


@dataclass
class TestDraft(Part):
    parameters: dict[str, ParameterDraft] = field(default_factory=dict)
    last_parameter: str = ""

    @property
    def code(self) -> str:
        return str(self.values["test_code"])

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(self.values["panel_members"])


class _Reading:
    """The file read row by row into tests, their parameters and ranges, with every error."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.faulty: set[tuple[int, str]] = set()
        self.tests: dict[str, TestDraft] = {}
        self.last_test = ""

    def error(self, row: int, column: str, message: str) -> None:
        """One error per cell: the first found (what follows from it would only repeat it)."""
        if (row, column) not in self.faulty:
            self.faulty.add((row, column))
            self.errors.append(RowError(row, column, message))

    def cells(self, number: int, row: dict[str, str], columns: Iterable[str]) -> dict[str, Any]:
        """The given (non-empty) cells of ``columns``, read; a bad one is reported and left
        out."""
        found = {}
        for column in columns:
            try:
                text = cell(row.get(column))
                if text:
                    found[column] = READERS[column][0](text)
            except ValueError as exc:
                self.error(number, column, str(exc))
        return found

    def first(self, number: int, given: dict[str, Any], columns: Iterable[str]) -> dict[str, Any]:
        """A part's values from its first row: defaults for what is empty."""
        values = {}
        for column in columns:
            default = READERS[column][1]
            if column in given:
                values[column] = given[column]
            elif default is REQUIRED:
                self.error(number, column, _("required"))
                values[column] = None
            else:
                values[column] = default
        return values

    def same(self, number: int, given: dict[str, Any], part: Part) -> None:
        """A later row of a part may repeat its values or leave them empty, not change them."""
        for column, value in given.items():
            if value != part.values.get(column):
                self.error(number, column, _("differs from row %d") % part.row)

    def read(self, number: int, row: dict[str, str]) -> None:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            return  # a blank line between tests
        test_cells = self.cells(number, row, TEST_COLUMNS)
        parameter_cells = self.cells(number, row, PARAMETER_COLUMNS)
        range_cells = self.cells(number, row, RANGE_COLUMNS)
        code = test_cells.get("test_code")
        if code is None:
            self.error(number, "test_code", _("required"))
            return
        test = self.tests.get(code)
        if test is None:
            test = TestDraft(number, self.first(number, test_cells, TEST_COLUMNS))
            self.tests[code] = test
        elif self.last_test != code:
            self.error(
                number,
                "test_code",
                _("%(code)s is already used by the test from row %(row)d: keep a test's rows "
                  "together, and give another test its own code")
                % {"code": code, "row": test.row},
            )  # fmt: skip
            return
        else:
            self.same(number, test_cells, test)
        self.last_test = code
        if parameter_cells or range_cells:
            self.parameter_row(number, test, parameter_cells, range_cells)

    def parameter_row(
        self,
        number: int,
        test: TestDraft,
        given: dict[str, Any],
        range_cells: dict[str, Any],
    ) -> None:
        code = given.get("parameter_code")
        if code is None:
            self.error(number, "parameter_code", _("required"))
            return
        key = code.lower()
        parameter = test.parameters.get(key)
        if parameter is None:
            parameter = ParameterDraft(number, self.first(number, given, PARAMETER_COLUMNS))
            test.parameters[key] = parameter
        elif test.last_parameter != key:
            self.error(
                number,
                "parameter_code",
                _("%(code)s is already used from row %(row)d: keep a parameter's rows together")
                % {"code": code, "row": parameter.row},
            )
            return
        else:
            self.same(number, given, parameter)
        test.last_parameter = key
        if range_cells:
            parameter.ranges.append(Part(number, self.first(number, range_cells, RANGE_COLUMNS)))


# ---------------------------------------------------------------- checks across rows


def _check_parameter(reading: _Reading, test: TestDraft, parameter: ParameterDraft) -> None:
    error, row = reading.error, parameter.row
    kind = parameter["result_type"]
    if kind == ResultType.CHOICE and not parameter["choices"]:
        error(row, "choices", _("a choice result lists its answers (Negative;Positive)"))
    if kind != ResultType.CHOICE and parameter["choices"]:
        error(row, "choices", _("only a choice result has choices"))
    if kind == ResultType.CALCULATED:
        formula = FORMULAS.get(parameter["formula"] or "")
        if formula is None:
            if not parameter["formula"]:
                error(row, "formula", _("a calculated result names its formula"))
        else:
            codes = set(test.parameters)
            missing = [
                name
                for name in formula.inputs
                if name not in ("age_years", "sex") and name not in codes
            ]
            if missing:
                error(
                    row,
                    "formula",
                    _("%(formula)s needs the parameters %(codes)s in the same test")
                    % {"formula": parameter["formula"], "codes": ", ".join(missing)},
                )
    elif parameter["formula"]:
        error(row, "formula", _("only a calculated result has a formula"))
    low, high = parameter["absolute_low"], parameter["absolute_high"]
    if low is not None and high is not None and low >= high:
        error(row, "absolute_high", _("must be above absolute_low"))
    bands: dict[tuple[Any, ...], int] = {}
    for band in parameter.ranges:
        _check_range(reading, parameter, band)
        key = (band["sex"], band["age_from"], band["age_to"])
        if key in bands:
            error(band.row, "age_from", _("repeats the range of row %d") % bands[key])
        bands.setdefault(key, band.row)


def _check_range(reading: _Reading, parameter: ParameterDraft, band: Part) -> None:
    error, row = reading.error, band.row
    kind = parameter["result_type"]
    limits = {name: band[name] for name in LIMITS if band[name] is not None}
    if band["age_to"] is not None and band["age_from"] >= band["age_to"]:
        error(row, "age_to", _("must be older than age_from"))
    if kind in (ResultType.CHOICE, ResultType.TEXT):
        if limits:
            error(row, next(iter(limits)), _("a choice or text result's range is its normal"))
        if kind == ResultType.CHOICE and band["normal"]:
            answers = {c.lower() for c in parameter["choices"] or ()}
            if band["normal"].lower() not in answers:
                error(row, "normal", _("not one of the choices"))
    if not limits and not band["normal"]:
        error(row, "low", _("a range gives its limits or its normal"))
    order = [
        ("critical_low", "low", _("critical_low must not be above low")),
        ("low", "high", _("low must not be above high")),
        ("high", "critical_high", _("high must not be above critical_high")),
    ]
    for lower, upper, message in order:
        if lower in limits and upper in limits and limits[lower] > limits[upper]:
            error(row, upper, message)
    both = {"critical_low", "critical_high"} <= set(limits)
    if both and limits["critical_low"] >= limits["critical_high"]:
        error(row, "critical_high", _("critical_high must be above critical_low"))
    lowest, highest = parameter["absolute_low"], parameter["absolute_high"]
    for name, value in limits.items():
        if lowest is not None and value < lowest:
            error(row, name, _("below absolute_low, the lowest plausible value"))
        if highest is not None and value > highest:
            error(row, name, _("above absolute_high, the highest plausible value"))


def _check_test(
    reading: _Reading,
    test: TestDraft,
    sections: dict[str, LabSection],
    existing: dict[str, LabTest],
) -> None:
    error, row = reading.error, test.row
    section = test["section"]
    if section is not None and section.lower() not in sections:
        known = ", ".join(s.name for s in sections.values()) or _("none yet")
        error(
            row,
            "section",
            _("no section called %(name)s (the lab's: %(known)s; add one in the lab settings)")
            % {"name": section, "known": known},
        )
    if test.members:
        if test.parameters:
            error(row, "panel_members", _("a panel reports its members' parameters, not its own"))
        for code in test.members:
            if code == test.code:
                error(row, "panel_members", _("a panel cannot contain itself"))
            elif code in reading.tests:
                if reading.tests[code].members:
                    error(row, "panel_members", _("%s is a panel: list its tests instead") % code)
            elif code not in existing:
                error(row, "panel_members", _("no test with the code %s") % code)
            elif existing[code].is_panel:
                error(row, "panel_members", _("%s is a panel: list its tests instead") % code)
    elif not test.parameters:
        error(row, "parameter_code", _("a test reports parameters, or a panel lists members"))
    for parameter in test.parameters.values():
        _check_parameter(reading, test, parameter)


def _check_removals(reading: _Reading, clinic: Any, existing: dict[str, LabTest]) -> None:
    """A parameter a result refers to stays in the catalogue; a test that panels outside the
    file contain cannot become a panel itself."""
    dropped: dict[int, tuple[TestDraft, Parameter]] = {}
    for code, test in reading.tests.items():
        current = existing.get(code)
        if current is None:
            continue
        for parameter in current.parameters.all():
            if parameter.code.lower() not in test.parameters:
                dropped[parameter.pk] = (test, parameter)
    reported = (
        Result.objects.for_clinic(clinic)
        .filter(parameter_id__in=list(dropped))
        .values_list("parameter_id", flat=True)
    )
    for pk in set(reported):
        test, parameter = dropped[pk]
        reading.error(
            test.row,
            "parameter_code",
            _("%(code)s has results: keep it in the file (a reported parameter stays)")
            % {"code": parameter.code},
        )
    panels = [code for code, test in reading.tests.items() if test.members]
    contained = (
        PanelMember.objects.for_clinic(clinic)
        .filter(test__code__in=panels)
        .exclude(panel__code__in=list(reading.tests))
        .values_list("test__code", "panel__code")
    )
    for code, panel in contained:
        reading.error(
            reading.tests[code].row,
            "panel_members",
            _("%(code)s is a member of the panel %(panel)s, so it cannot be a panel itself")
            % {"code": code, "panel": panel},
        )


# ---------------------------------------------------------------- writing


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    unchanged: int


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set ``values`` on ``row``; whether anything changed."""
    changed = row.pk is None
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _choices_text(choices: Iterable[str]) -> str:
    return "\n".join(choices)


def _save_ranges(clinic: Any, parameter: Parameter, draft: ParameterDraft, fresh: bool) -> bool:
    current = {}
    if not fresh:
        current = {(r.sex, r.age_from_days, r.age_to_days): r for r in parameter.ranges.all()}
    changed = False
    for band in draft.ranges:
        key = (band["sex"], band["age_from"], band["age_to"])
        row = current.pop(key, None) or ReferenceRange(clinic=clinic, parameter=parameter)
        values = {
            "sex": band["sex"],
            "age_from_days": band["age_from"],
            "age_to_days": band["age_to"],
            "text": band["normal"],
            **{name: band[name] for name in LIMITS},
        }
        if _assign(row, values):
            row.save()
            changed = True
    for stale in current.values():
        stale.delete()
        changed = True
    return changed


def _save_parameters(clinic: Any, test: LabTest, draft: TestDraft, fresh: bool) -> bool:
    current = {} if fresh else {p.code.lower(): p for p in test.parameters.all()}
    changed = False
    for order, (key, part) in enumerate(draft.parameters.items(), start=1):
        row = current.pop(key, None)
        is_new = row is None
        if row is None:
            row = Parameter(clinic=clinic, test=test)
        values = {
            "code": part["parameter_code"],
            "name": part["parameter_name"],
            "loinc": part["parameter_loinc"],
            "unit": part["unit"],
            "unit_label": part["unit_label"],
            "result_type": part["result_type"],
            "decimals": part["decimals"],
            "choices": _choices_text(part["choices"]),
            "formula": part["formula"],
            "absolute_low": part["absolute_low"],
            "absolute_high": part["absolute_high"],
            "delta_percent": part["delta_percent"],
            "order": order,
        }
        if _assign(row, values):
            row.save()
            changed = True
        changed |= _save_ranges(clinic, row, part, fresh=is_new)
    for stale in current.values():  # none has results: _check_removals saw to that
        stale.delete()
        changed = True
    return changed


def _save_members(clinic: Any, panel: LabTest, draft: TestDraft, tests: dict[str, LabTest]) -> bool:
    current = {m.test_id: m for m in panel.members.all()}
    changed = False
    for order, code in enumerate(draft.members, start=1):
        member = tests[code]
        row = current.pop(member.pk, None) or PanelMember(clinic=clinic, panel=panel, test=member)
        if _assign(row, {"order": order}):
            row.save()
            changed = True
    for stale in current.values():
        stale.delete()
        changed = True
    return changed


def parameters_with_ranges(clinic: Any) -> QuerySet[Parameter]:
    """Parameters in report order, each with its ranges by sex and age (two queries)."""
    ranges = ReferenceRange.objects.for_clinic(clinic).order_by("sex", "age_from_days")
    return (
        Parameter.objects.for_clinic(clinic)
        .order_by("order", "pk")
        .prefetch_related(Prefetch("ranges", ranges))
    )


def members_in_order(clinic: Any) -> QuerySet[PanelMember]:
    return PanelMember.objects.for_clinic(clinic).select_related("test").order_by("order", "pk")


def _catalogue(clinic: Any) -> QuerySet[LabTest]:
    """The clinic's tests with their parameters, ranges and members (four queries)."""
    return (
        LabTest.objects.for_clinic(clinic)
        .select_related("section")
        .prefetch_related(
            Prefetch("parameters", parameters_with_ranges(clinic)),
            Prefetch("members", members_in_order(clinic)),
        )
    )


@transaction.atomic
def import_csv(*, actor: Actor, content: bytes) -> ImportSummary:
    """Add or replace every test the file describes, or nothing. A test is matched by its code;
    the file's parameters (by code), ranges (by sex and age band) and panel members replace
    the test's; only what differs is written, so importing an export changes nothing.

    Errors: ``ImportRefused`` with the report (row, column, error) when any row is wrong;
    ``DomainError`` for a file that is not the catalogue's CSV; ``Conflict`` when someone else
    changed the catalogue at the same moment."""
    clinic = policy.require(actor, MANAGE)
    reading = _Reading()
    for number, row in enumerate(csv_rows(content, COLUMNS, max_rows=MAX_ROWS), start=2):
        reading.read(number, row)
    if not reading.tests and not reading.errors:
        raise DomainError(_("The file has no tests."), field="file")
    sections = {s.name.lower(): s for s in LabSection.objects.for_clinic(clinic)}
    existing = {t.code: t for t in _catalogue(clinic).select_for_update(of=("self",))}
    for test in reading.tests.values():
        _check_test(reading, test, sections, existing)
    if not reading.errors:
        _check_removals(reading, clinic, existing)
    if reading.errors:
        raise ImportRefused(sorted(reading.errors, key=lambda e: (e.row, COLUMNS.index(e.field))))
    try:
        with transaction.atomic():
            return _write(clinic, reading, sections, existing)
    except IntegrityError:
        raise Conflict(_("Someone else changed the catalogue meanwhile: import again.")) from None


def _write(
    clinic: Any,
    reading: _Reading,
    sections: dict[str, LabSection],
    existing: dict[str, LabTest],
) -> ImportSummary:
    tests: dict[str, LabTest] = dict(existing)
    changed: dict[str, bool] = {}
    for code, draft in reading.tests.items():
        fresh = code not in existing
        test = existing.get(code) or LabTest(clinic=clinic)
        values = {
            "code": code,
            "name": draft["test_name"],
            "loinc": draft["test_loinc"],
            "section_id": sections[draft["section"].lower()].pk,
            "sample_type": draft["sample_type"],
            "container": draft["container"],
            "turnaround_minutes": draft["turnaround_minutes"],
            "price": draft["price"],
            "is_active": draft["active"],
            "is_panel": bool(draft.members),
        }
        changed[code] = _assign(test, values)
        if changed[code]:
            test.save()
        tests[code] = test
        changed[code] |= _save_parameters(clinic, test, draft, fresh)
    for code, draft in reading.tests.items():
        if draft.members or code in existing:
            changed[code] |= _save_members(clinic, tests[code], draft, tests)
    added = sum(1 for code in reading.tests if code not in existing)
    updated = sum(1 for code, was in changed.items() if was and code in existing)
    return ImportSummary(added, updated, len(reading.tests) - added - updated)


# ---------------------------------------------------------------- export


def _plain(value: Decimal | None) -> Decimal | None:
    """A stored limit as written (``3.5000`` → ``3.5``, ``200`` stays ``200``)."""
    return None if value is None else Decimal(f"{value.normalize():f}")


def _test_cells(test: LabTest) -> dict[str, Any]:
    return {
        "test_code": test.code,
        "test_name": test.name,
        "test_loinc": test.loinc,
        "section": test.section.name,
        "sample_type": test.sample_type,
        "container": test.container,
        "turnaround_minutes": test.turnaround_minutes,
        "price": test.price,
        "active": "yes" if test.is_active else "no",
        "panel_members": SEPARATOR.join(m.test.code for m in test.members.all()),
    }


def _parameter_cells(parameter: Parameter) -> dict[str, Any]:
    return {
        "parameter_code": parameter.code,
        "parameter_name": parameter.name,
        "parameter_loinc": parameter.loinc,
        "unit": parameter.unit,
        "unit_label": parameter.unit_label,
        "result_type": parameter.result_type,
        "decimals": parameter.decimals,
        "choices": SEPARATOR.join(parameter.choice_list),
        "formula": parameter.formula,
        "absolute_low": _plain(parameter.absolute_low),
        "absolute_high": _plain(parameter.absolute_high),
        "delta_percent": parameter.delta_percent,
    }


def _range_cells(band: ReferenceRange) -> dict[str, Any]:
    return {
        "sex": band.sex,
        "age_from": age_bands.as_text(band.age_from_days),
        "age_to": age_bands.as_text(band.age_to_days),
        "normal": band.text,
        **{name: _plain(getattr(band, name)) for name in LIMITS},
    }


def rows_of(test: LabTest) -> Iterator[dict[str, Any]]:
    """One test as the file writes it (its parameters, ranges and members prefetched)."""
    cells = _test_cells(test)
    parameters = list(test.parameters.all())
    if not parameters:
        yield cells
    for parameter in parameters:
        described = {**cells, **_parameter_cells(parameter)}
        bands = list(parameter.ranges.all())
        if not bands:
            yield described
        for band in bands:
            yield {**described, **_range_cells(band)}


def _cell_of(column: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: row.get(column)


#: The file's columns, for ``core.lists.stream_csv`` over ``export_rows``.
EXPORT_COLUMNS = [Column(column, _cell_of(column)) for column in COLUMNS]


def export_rows(clinic: Any) -> Iterator[dict[str, Any]]:
    """Every test of the clinic, by code, row by row (four queries per 500 tests)."""
    for test in _catalogue(clinic).order_by("code").iterator(chunk_size=500):
        yield from rows_of(test)


# ---------------------------------------------------------------- one change at a time


@transaction.atomic
def change_test(*, actor: Actor, test: LabTest, price: Decimal, is_active: bool) -> LabTest:
    """Change a test's price (the price list follows, from today) or retire it (``is_active``
    off: no longer offered to order; what was ordered keeps it). Everything else changes
    through the import. Errors: ``DomainError`` at ``price``."""
    clinic = policy.require(actor, MANAGE, test)
    row = LabTest.objects.for_clinic(clinic).select_for_update().get(pk=test.pk)
    if not price.is_finite() or price < 0 or price != price.quantize(Decimal("0.01")):
        raise DomainError(_("A price is zero or more, to the paisa (two decimals)."), field="price")
    if price >= 10**8:
        raise DomainError(_("This price is too large."), field="price")
    row.price, row.is_active = price, is_active
    row.save(update_fields=["price", "is_active"])
    return row


@transaction.atomic
def add_section(*, actor: Actor, name: str) -> LabSection:
    """A new bench of the lab (Haematology, Serology...), named once per clinic (case
    aside). Errors: ``DomainError`` at ``name``."""
    clinic = policy.require(actor, MANAGE)
    name = " ".join(name.split())
    if not name:
        raise DomainError(_("Name the section."), field="name")
    if len(name) > 80:
        raise DomainError(_("At most 80 characters."), field="name")
    if LabSection.objects.for_clinic(clinic).filter(name__iexact=name).exists():
        raise DomainError(_("The lab already has a section called %s.") % name, field="name")
    try:
        with transaction.atomic():
            return LabSection.objects.create(clinic=clinic, name=name)
    except IntegrityError:
        raise Conflict(_("Someone else has just added this section.")) from None
