"""The bench's result pages: one ordered test (or every test of one sample) with an input per
parameter in report order, the patient's range beside it, calculated results recomputed as
values are typed (the same reading ``results.enter`` stores, run without saving), the flags
of what was saved, verification by a second person, and amendments of verified results with
their history. Every one of these pages shows a patient's results, so each is audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError
from clinicflow.core.feedback import run_and_report
from clinicflow.lab import ranges, results, selectors
from clinicflow.lab.entry_forms import (
    AmendForm,
    RejectForm,
    ResultEntryForm,
    comment_field,
    show_error,
    value_field,
)
from clinicflow.lab.models import (
    OrderedTest,
    Parameter,
    Result,
    ResultStatus,
    ResultType,
    Sample,
    TestStatus,
)
from clinicflow.lab.views import audit_read

WORK = "lab.work"


def _tests() -> QuerySet[OrderedTest]:
    return OrderedTest.objects.select_related(
        "clinic",
        "order__patient",
        "order__ordering_doctor",
        "test",
        "sample",
        "outside_report",
        "verified_by",
    )


def _ordered_test(request: HttpRequest, pk: Any) -> OrderedTest:
    return access_object(actor_of(request), WORK, _tests(), pk=pk)


def back_to(request: HttpRequest, fallback: str) -> str:
    """The page the form came from (``next``, when it is ours), else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


# ---------------------------------------------------------------- what a test's page shows


@dataclass
class ParameterRow:
    parameter: Parameter
    value: forms.BoundField | None  # None: calculated (shown, never typed)
    comment: forms.BoundField | None
    result: Result | None
    range_text: str
    amend: AmendForm | None = None


@dataclass
class TestBlock:
    ordered_test: OrderedTest
    rows: list[ParameterRow]
    form: ResultEntryForm | None
    amendments: list[Result]
    may_verify: bool = False
    #: Why the person looking cannot verify (they entered some of the results).
    cannot_verify: str = ""

    @property
    def has_comments(self) -> bool:
        return any(row.comment is not None and row.comment.value() for row in self.rows)


def _range_text(ordered_test: OrderedTest, parameter: Parameter, result: Result | None) -> str:
    """The range the saved result was flagged against, else the one that applies to the
    patient on the day of collection."""
    if result is not None and result.applied_range:
        return ranges.shown(result.applied_range)
    if ordered_test.sample is None and ordered_test.outside_report is None:
        return ""
    try:
        applied = results.Context(ordered_test).range_of(parameter)
    except DomainError:
        return ""
    return applied.display if applied else ""


def _amend_form(result: Result | None, sent: AmendForm | None) -> AmendForm | None:
    """A released result's amend form (the one sent back with errors, if it is this one)."""
    if result is None or result.status not in selectors.RELEASED:
        return None
    return sent if sent is not None and sent.result == result else AmendForm(result=result)


def build_block(
    actor: Actor,
    ordered_test: OrderedTest,
    *,
    form: ResultEntryForm | None = None,
    amend: AmendForm | None = None,
) -> TestBlock:
    """One test as its page shows it; a form sent back with errors replaces its empty twin."""
    parameters = selectors.parameters_of(ordered_test.test)
    current = list(selectors.current_results(ordered_test))
    by_parameter = {r.parameter_id: r for r in current}
    if ordered_test.status in results.ENTERABLE:
        form = form or ResultEntryForm(
            parameters=parameters, results=current, ordered_test=ordered_test
        )
    else:
        form = None
    rows = []
    for parameter in parameters:
        result = by_parameter.get(parameter.pk)
        calculated = parameter.result_type == ResultType.CALCULATED
        rows.append(
            ParameterRow(
                parameter=parameter,
                value=form[value_field(parameter)] if form and not calculated else None,
                comment=form[comment_field(parameter)] if form else None,
                result=result,
                range_text=_range_text(ordered_test, parameter, result),
                amend=_amend_form(result, amend) if not calculated else None,
            )
        )
    amendments = list(
        Result.objects.for_clinic(ordered_test.clinic_id)
        .filter(ordered_test=ordered_test, amends__isnull=False)
        .select_related("amends", "parameter", "entered_by")
        .order_by("entered_at", "pk")
    )
    block = TestBlock(ordered_test, rows, form, amendments)
    if ordered_test.status == TestStatus.RESULTED:
        mine = [
            r
            for r in current
            if r.status == ResultStatus.ENTERED and r.entered_by_id == actor.user.pk
        ]
        block.cannot_verify = results.SAME_PERSON if mine else ""
        block.may_verify = not mine
    return block


def _page(
    request: HttpRequest, blocks: list[TestBlock], *, sample: Sample | None, status: int = 200
) -> HttpResponse:
    first = blocks[0].ordered_test if blocks else None
    order = sample.order if sample else first.order if first else None
    return render(
        request,
        "lab/entry.html",
        {
            "blocks": blocks,
            "sample": sample,
            "order": order,
            "patient": order.patient if order else None,
            "reject_form": RejectForm(),
            "here": request.get_full_path(),
        },
        status=status,
    )


def _test_page(request: HttpRequest, ordered_test: OrderedTest, **forms_back: Any) -> HttpResponse:
    audit_read(ordered_test, ordered_test.order.patient_id, "lab result entry")
    block = build_block(actor_of(request), ordered_test, **forms_back)
    return _page(request, [block], sample=None)


# ---------------------------------------------------------------- pages


@requires(WORK)
def test_entry(request: HttpRequest, pk: Any) -> HttpResponse:
    """One test's results: enter them (POST), or see and verify or amend them."""
    ordered_test = _ordered_test(request, pk)
    if request.method != "POST":
        return _test_page(request, ordered_test)
    actor = actor_of(request)
    parameters = selectors.parameters_of(ordered_test.test)
    form = ResultEntryForm(
        request.POST,
        parameters=parameters,
        results=selectors.current_results(ordered_test),
        ordered_test=ordered_test,
    )
    if form.is_valid():
        try:
            results.enter(
                actor=actor,
                ordered_test=ordered_test,
                values=form.values(),
                comments=form.comments(),
                report_comment=form.cleaned_data["report_comment"],
            )
        except DomainError as refused:
            show_error(form, refused, fields=form.field_names())
        else:
            messages.success(
                request, _("%(test)s: results saved.") % {"test": ordered_test.test.name}
            )
            return redirect(back_to(request, reverse("lab:test_entry", args=[ordered_test.pk])))
    ordered_test.refresh_from_db()
    return _test_page(request, ordered_test, form=form)


@requires(WORK)
def sample_entry(request: HttpRequest, pk: Any) -> HttpResponse:
    """Every test of one sample (where a scanned label leads), each with its own form."""
    actor = actor_of(request)
    sample: Sample = access_object(
        actor, WORK, Sample.objects.select_related("order__patient", "clinic"), pk=pk
    )
    audit_read(sample, sample.order.patient_id, "lab sample results")
    tests = (
        _tests()
        .filter(clinic=sample.clinic_id, sample=sample)
        .exclude(status=TestStatus.CANCELLED)
        .order_by("pk")
    )
    blocks = [build_block(actor, t) for t in tests]
    return _page(request, blocks, sample=sample)


@requires(WORK)
@require_POST
def preview(request: HttpRequest, pk: Any) -> HttpResponse:
    """The calculated results of the values typed so far (HTMX), computed as ``enter``
    would, saved nowhere; a value the service refuses is named instead."""
    ordered_test = _ordered_test(request, pk)
    parameters = selectors.parameters_of(ordered_test.test)
    form = ResultEntryForm(request.POST, parameters=parameters, ordered_test=ordered_test)
    calculated = [p for p in parameters if p.result_type == ResultType.CALCULATED]
    readings: dict[str, results.Reading] = {}
    problem = ""
    try:
        entry = results.preview(
            actor=actor_of(request), ordered_test=ordered_test, values=form.raw_values()
        )
        readings = entry.readings
    except DomainError as refused:
        problem = refused.message
    rows = [(p, readings.get(str(p.pk))) for p in calculated]
    return render(
        request,
        "lab/_calculated.html",
        {"ordered_test": ordered_test, "rows": rows, "problem": problem},
    )


@requires(WORK)
@require_POST
def verify(request: HttpRequest, pk: Any) -> HttpResponse:
    ordered_test = _ordered_test(request, pk)
    run_and_report(
        request,
        lambda: results.verify(actor=actor_of(request), ordered_test=ordered_test),
        _("%(test)s: verified and released.") % {"test": ordered_test.test.name},
    )
    return redirect(back_to(request, reverse("lab:test_entry", args=[ordered_test.pk])))


@requires(WORK)
@require_POST
def amend(request: HttpRequest, pk: Any) -> HttpResponse:
    """Correct a verified result with a reason; the original stays, struck through."""
    rows = Result.objects.select_related("parameter", "ordered_test")
    result: Result = access_object(actor_of(request), WORK, rows, pk=pk)
    form = AmendForm(request.POST, result=result)
    if form.is_valid():
        try:
            results.amend(
                actor=actor_of(request),
                result=result,
                value=form.cleaned_data["value"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as refused:
            show_error(form, refused, fields={str(result.parameter_id): "value"})
        else:
            messages.success(
                request, _("%(parameter)s: amended.") % {"parameter": result.parameter.name}
            )
            return redirect("lab:test_entry", pk=result.ordered_test_id)
    ordered_test = _ordered_test(request, result.ordered_test_id)
    return _test_page(request, ordered_test, amend=form)
