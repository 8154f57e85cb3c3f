"""Results: entered per test from its sample (each value checked, flagged against the range
that applies to the patient on the day of collection, compared with the patient's previous
value, and the calculated ones computed from the others), verified by a second person, and
amended after verification with a reason, keeping the original. A test done by an outside lab
(``outside``) is entered the same way from its report, on the report's sample day, each value
marked with the outside lab's name.

Whoever is told of what (the ordering doctor of a release, an amendment or a critical value)
is ``lab.alerts``'s to decide, and the patient's report being ready ``lab.messages``'s; this
module says when."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.chain import atomic_audited
from clinicflow.core.audit.recorder import record_bulk_create
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.lab import alerts, configuration, messages, ranges, selectors
from clinicflow.lab.calculations import FORMULAS
from clinicflow.lab.models import (
    Flag,
    LabOrder,
    OrderedTest,
    Parameter,
    Result,
    ResultStatus,
    ResultType,
    SampleStatus,
    TestStatus,
)
from clinicflow.lab.samples import mark_received

ENTERABLE = (TestStatus.COLLECTED, TestStatus.RECEIVED, TestStatus.RESULTED, TestStatus.OUTSIDE)
SAME_PERSON = "You entered results of this test: another person must verify them."
RELEASED_TESTS = (TestStatus.VERIFIED, TestStatus.AMENDED)


@dataclass
class Reading:
    """A value as it will be stored: the number or the text, its flag, its applied range,
    and the delta check's finding."""

    value: Decimal | None = None
    text: str = ""
    flag: str = Flag.NORMAL
    applied_range: dict[str, Any] | None = None
    previous_value: Decimal | None = None
    delta_flagged: bool = False


def _number(parameter: Parameter, raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise DomainError(
            f"{parameter.name}: enter a number.", field=str(parameter.pk), code="not_a_number"
        ) from None
    if not value.is_finite():
        raise DomainError(f"{parameter.name}: enter a number.", field=str(parameter.pk))
    return value.quantize(Decimal(1).scaleb(-parameter.decimals), rounding=ROUND_HALF_UP)


class Context:
    """What every value of one test's entry is read against: the patient, the day of
    collection (of our sample, or the outside report's sample day) and the clinic's
    settings."""

    def __init__(self, ordered_test: OrderedTest, parameters: list[Parameter] | None = None):
        self.test = ordered_test
        #: The test's parameters, whose previous values are read together.
        self.parameter_ids = [p.pk for p in parameters] if parameters else None
        self.patient = ordered_test.order.patient
        #: The outside lab that measured the values (blank: ours).
        self.outside_lab = ""
        outside = ordered_test.outside_report
        if outside is not None:
            self.collected_at = outside.sampled_at(ordered_test.clinic.zone)
            self.outside_lab = outside.lab_name
        else:
            assert ordered_test.sample is not None
            self.collected_at = ordered_test.sample.collected_at
        self.collected_on = ordered_test.clinic.local_date(self.collected_at)
        self._previous: dict[Any, Result] | None = None

    def previous(self, parameter: Parameter) -> Result | None:
        """The patient's previous released value of ``parameter`` (the delta check's
        reference): those of every parameter of the test read at the first ask, in one
        query."""
        if self._previous is None:
            self._previous = selectors.previous_results(
                self.test.clinic_id,
                self.patient.pk,
                self.parameter_ids or [parameter.pk],
                self.collected_at,
                exclude_test=self.test.pk,
            )
        return self._previous.get(parameter.pk)

    def range_of(self, parameter: Parameter) -> ranges.AppliedRange | None:
        found = ranges.applicable_range(
            parameter,
            sex=self.patient.sex,
            birth_date=self.patient.birth_date,
            on=self.collected_on,
        )
        return None if found is None else ranges.AppliedRange.of(found)

    def numeric(self, parameter: Parameter, value: Decimal) -> Reading:
        applied = self.range_of(parameter)
        reading = Reading(
            value=value,
            flag=ranges.flag(value, applied),
            applied_range=applied.as_dict() if applied else None,
        )
        previous = self.previous(parameter)
        if previous is not None and previous.value is not None:
            reading.previous_value = previous.value
            reading.delta_flagged = _beyond_delta(parameter, previous.value, value)
        return reading

    def read(self, parameter: Parameter, raw: Any) -> Reading:
        if parameter.result_type == ResultType.NUMERIC:
            value = _number(parameter, raw)
            try:
                ranges.check_plausible(parameter, value)
            except DomainError as refused:
                # The entry form shows it at the parameter's own input.
                refused.field = str(parameter.pk)
                raise
            return self.numeric(parameter, value)
        text = str(raw).strip()
        if parameter.result_type == ResultType.CHOICE:
            choices = {c.lower(): c for c in parameter.choice_list}
            if text.lower() not in choices:
                raise DomainError(
                    f"{parameter.name}: choose one of {', '.join(parameter.choice_list)}.",
                    field=str(parameter.pk),
                    code="not_a_choice",
                )
            text = choices[text.lower()]
            applied = self.range_of(parameter)
            abnormal = bool(applied and applied.text and applied.text.lower() != text.lower())
            return Reading(
                text=text,
                flag=Flag.ABNORMAL if abnormal else Flag.NORMAL,
                applied_range=applied.as_dict() if applied else None,
            )
        if len(text) > 500:
            raise DomainError(f"{parameter.name}: at most 500 characters.", field=str(parameter.pk))
        return Reading(text=text)

    def calculated(self, parameter: Parameter, values: Mapping[str, Decimal]) -> Reading | None:
        """The parameter's formula over the other values, by their codes; None while an
        input is missing. A formula that does not apply is stored as its reason."""
        formula = FORMULAS.get(parameter.formula)
        if formula is None:
            return None
        inputs: dict[str, Any] = {}
        for name in formula.inputs:
            if name == "age_years":
                inputs[name] = self.patient.age_on(self.collected_on)
                if inputs[name] is None:
                    return Reading(text="Not calculated: the patient's age is not known.")
            elif name == "sex":
                inputs[name] = self.patient.sex
            elif name in values:
                inputs[name] = values[name]
            else:
                return None
        outcome = formula.compute(**inputs)
        if outcome.value is None:
            return Reading(text=f"Not calculated: {outcome.reason}")
        return self.numeric(parameter, outcome.value)


def _beyond_delta(parameter: Parameter, previous: Decimal, value: Decimal) -> bool:
    if parameter.delta_percent is None:
        return False
    if previous == 0:
        return value != 0
    return abs(value - previous) * 100 / abs(previous) > parameter.delta_percent


def _locked_test(clinic: Any, ordered_test: OrderedTest) -> OrderedTest:
    return (
        OrderedTest.objects.for_clinic(clinic)
        .select_for_update(of=("self",))
        .select_related("order__patient", "sample", "outside_report", "test", "clinic")
        .get(pk=ordered_test.pk)
    )


def _store(row: Result, reading: Reading) -> None:
    row.value, row.text, row.flag = reading.value, reading.text, reading.flag
    row.applied_range = reading.applied_range
    row.previous_value, row.delta_flagged = reading.previous_value, reading.delta_flagged


@dataclass
class Entry:
    """A test's values read as ``enter`` stores them: what the test reports, its current
    results, and a ``Reading`` per parameter given (calculated ones included)."""

    context: Context
    parameters: list[Parameter]
    by_id: dict[str, Parameter]
    existing: dict[str, Result]
    readings: dict[str, Reading]


def read_entry(row: OrderedTest, values: Mapping[str, Any]) -> Entry:
    """Check and read ``values`` (by parameter id) of a test, the calculated parameters
    computed over them and the results already entered; a blank keeps what was entered.
    Raises ``DomainError`` naming the parameter (``field``: its id) of the first bad value.
    Writes nothing: ``enter`` stores it, ``preview`` shows it."""
    parameters = selectors.parameters_of(row.test)
    by_id = {str(p.pk): p for p in parameters}
    unknown = [key for key in values if str(key) not in by_id]
    if unknown:
        raise DomainError("A value was sent for a parameter this test does not report.")
    context = Context(row, parameters)
    existing = {str(r.parameter_id): r for r in selectors.current_results(row)}
    readings: dict[str, Reading] = {}
    numbers: dict[str, Decimal] = {
        by_id[key].code.lower(): r.value
        for key, r in existing.items()
        if r.value is not None and key in by_id
    }
    for key, raw in values.items():
        parameter = by_id[str(key)]
        if parameter.result_type == ResultType.CALCULATED or str(raw).strip() == "":
            continue
        try:
            readings[str(key)] = reading = context.read(parameter, raw)
        except DomainError as exc:
            exc.field = str(parameter.pk)  # an entry's refusal names its parameter
            raise
        if reading.value is not None:
            numbers[parameter.code.lower()] = reading.value
    for parameter in parameters:
        if parameter.result_type == ResultType.CALCULATED:
            computed = context.calculated(parameter, numbers)
            if computed is not None:
                readings[str(parameter.pk)] = computed
    return Entry(context, parameters, by_id, existing, readings)


def preview(*, actor: Actor, ordered_test: OrderedTest, values: Mapping[str, Any]) -> Entry:
    """What ``enter`` would store for ``values``, stored nowhere (the entry form's calculated
    results, recomputed as the values are typed)."""
    clinic = policy.require(actor, "lab.work")
    row = (
        OrderedTest.objects.for_clinic(clinic)
        .select_related("order__patient", "sample", "outside_report", "test", "clinic")
        .get(pk=ordered_test.pk)
    )
    if row.sample is None and row.outside_report is None:
        raise Conflict(f"{row.test.name} has no sample yet.")
    return read_entry(row, values)


@atomic_audited
def enter(
    *,
    actor: Actor,
    ordered_test: OrderedTest,
    values: Mapping[str, Any],
    comments: Mapping[str, str] | None = None,
    report_comment: str | None = None,
) -> list[Result]:
    """Enter or correct (before verification) a test's values, keyed by parameter id; a
    blank leaves a parameter as it was. All or nothing: one bad value refuses the entry.
    Entering from a collected sample receives it in the lab; entering from an outside
    report transcribes it (each value marked with the outside lab's name)."""
    clinic = policy.require(actor, "lab.work")
    row = _locked_test(clinic, ordered_test)
    if row.status not in ENTERABLE:
        raise Conflict(
            f"{row.test.name} is {row.get_status_display().lower()}: results cannot be entered."
        )
    if row.sample is not None and row.sample.status == SampleStatus.COLLECTED:
        mark_received(clinic, row.sample, actor.user)
    entry = read_entry(row, values)
    parameters, by_id, existing, readings = (
        entry.parameters,
        entry.by_id,
        entry.existing,
        entry.readings,
    )
    comments = {str(k): v.strip()[:300] for k, v in (comments or {}).items()}
    saved: list[Result] = []
    new: list[Result] = []
    for key, reading in readings.items():
        result = existing.get(key) or Result(
            clinic=clinic,
            ordered_test=row,
            parameter=by_id[key],
            patient=entry.context.patient,
            collected_at=entry.context.collected_at,
            outside_lab=entry.context.outside_lab,
        )
        _store(result, reading)
        result.entered_by, result.comment = actor.user, comments.get(key, result.comment)
        if result.pk is None:
            new.append(result)
        else:
            result.save()  # a correction before verification
        saved.append(result)
    # A panel's first entry is one INSERT, each row audited as its own save would be.
    Result.objects.bulk_create(new)
    record_bulk_create(new)
    for key, comment in comments.items():
        if key in existing and key not in readings and existing[key].comment != comment:
            existing[key].comment = comment
            existing[key].save(update_fields=["comment"])
    entered = {str(r.parameter_id) for r in saved} | set(existing)
    complete = all(str(p.pk) in entered for p in parameters)
    waiting = TestStatus.OUTSIDE if row.outside_report_id else TestStatus.RECEIVED
    row.status = TestStatus.RESULTED if complete else waiting
    row.resulted_at, row.resulted_by = timezone.now(), actor.user
    if report_comment is not None:
        row.comment = report_comment.strip()[:500]
    row.save(update_fields=["status", "resulted_at", "resulted_by", "comment"])
    if configuration.settings_of(clinic).alert_on_entry:
        alerts.raise_for([r for r in saved if r.is_critical])
    return saved


@atomic_audited
def verify(*, actor: Actor, ordered_test: OrderedTest) -> OrderedTest:
    """A second person checks and releases a test's results: never one who entered any of
    them (the database holds the same rule)."""
    clinic = policy.require(actor, "lab.work")
    # The order first (the lock order of collecting and of outside reports): two tests of one
    # order verified at once take turns, so the second sees the first released and the
    # patient hears of the whole report once (``messages.report_ready``).
    list(
        LabOrder.objects.for_clinic(clinic)
        .filter(pk=ordered_test.order_id)
        .select_for_update()
        .values_list("pk", flat=True)
    )
    row = _locked_test(clinic, ordered_test)
    if row.status != TestStatus.RESULTED:
        raise Conflict(
            f"{row.test.name} is {row.get_status_display().lower()}: "
            "only a test with all its results entered can be verified."
        )
    results = list(selectors.current_results(row).filter(status=ResultStatus.ENTERED))
    if any(r.entered_by_id == actor.user.pk for r in results):
        raise DomainError(SAME_PERSON, code="same_person")
    now = timezone.now()
    try:
        with transaction.atomic():
            for result in results:
                result.status, result.verified_by, result.verified_at = (
                    ResultStatus.VERIFIED,
                    actor.user,
                    now,
                )
                result.save(update_fields=["status", "verified_by", "verified_at"])
            row.status, row.verified_by, row.verified_at = TestStatus.VERIFIED, actor.user, now
            row.save(update_fields=["status", "verified_by", "verified_at"])
    except IntegrityError:
        raise DomainError(SAME_PERSON, code="same_person") from None
    alerts.released(row)
    alerts.raise_for([r for r in results if r.is_critical])
    messages.report_ready(row)
    return row


@transaction.atomic
def amend(*, actor: Actor, result: Result, value: Any, reason: str) -> Result:
    """Correct a released result: the original stays (superseded), the correction names it
    and says why, and the ordering doctor and the patient are told."""
    clinic = policy.require(actor, "lab.work")
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the result is amended.", field="reason")
    original = (
        Result.objects.for_clinic(clinic)
        .select_for_update(of=("self",))
        .select_related("parameter", "ordered_test")
        .get(pk=result.pk)
    )
    if original.status not in (ResultStatus.VERIFIED, ResultStatus.AMENDED):
        raise Conflict("Only a verified result is amended; correct an unverified one directly.")
    parameter = original.parameter
    if parameter.result_type == ResultType.CALCULATED:
        raise DomainError("A calculated result follows its inputs: amend those instead.")
    row = _locked_test(clinic, original.ordered_test)
    reading = Context(row).read(parameter, value)
    if (reading.value, reading.text) == (original.value, original.text):
        raise DomainError("The amended value is the same as the result.", field="value")
    original.status = ResultStatus.SUPERSEDED
    original.save(update_fields=["status"])
    correction = Result(
        clinic=clinic,
        ordered_test=row,
        parameter=parameter,
        patient_id=original.patient_id,
        collected_at=original.collected_at,
        outside_lab=original.outside_lab,
        status=ResultStatus.AMENDED,
        entered_by=actor.user,
        amends=original,
        amend_reason=reason[:300],
        comment=original.comment,
    )
    _store(correction, reading)
    correction.save()
    row.status = TestStatus.AMENDED
    row.save(update_fields=["status"])
    alerts.amended(correction)
    messages.report_amended(correction)
    if correction.is_critical:
        alerts.raise_for([correction])
    return correction
