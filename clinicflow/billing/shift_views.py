"""The cashier's shift: open it with a float, see its takings, close it with the cash
counted note by note (expected against counted, and why they differ); a manager signs off
closed shifts and approves or rejects refunds above the threshold."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.billing import payments, prices, selectors, shifts
from clinicflow.billing.forms import CloseShiftForm, FloatForm, show_error
from clinicflow.billing.models import Refund, RefundStatus, Shift, ShiftStatus
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.errors import DomainError
from clinicflow.core.feedback import run_and_report

SHIFTS = "billing.shifts"
SIGN_OFF = "billing.shifts.sign_off"


def _close_form(clinic: Any, data: Any = None) -> CloseShiftForm:
    return CloseShiftForm(data, denominations=prices.settings_of(clinic).denomination_values)


def _page(
    request: HttpRequest,
    *,
    float_form: FloatForm | None = None,
    close_form: CloseShiftForm | None = None,
) -> HttpResponse:
    actor = actor_of(request)
    clinic = actor.clinic
    assert clinic is not None
    shift = selectors.open_shift(clinic, actor.user)
    recent = list(
        Shift.objects.for_clinic(clinic)
        .filter(cashier=actor.user)
        .exclude(status=ShiftStatus.OPEN)
        .order_by("-opened_at")[:10]
    )
    return render(
        request,
        "billing/shift.html",
        {
            "shift": shift,
            "summary": shifts.summary(shift) if shift else None,
            "float_form": float_form or FloatForm(),
            "close_form": close_form or _close_form(clinic),
            "recent": recent,
        },
    )


@requires(SHIFTS)
def shift(request: HttpRequest) -> HttpResponse:
    """One's own shift: open it, or see its figures and close it."""
    return _page(request)


@requires(SHIFTS)
@require_POST
def open_shift(request: HttpRequest) -> HttpResponse:
    form = FloatForm(request.POST)
    if form.is_valid():
        try:
            shifts.open_shift(
                actor=actor_of(request), opening_float=form.cleaned_data["opening_float"]
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Your shift is open."))
            return redirect(
                "billing:desk" if request.POST.get("next") == "desk" else "billing:shift"
            )
    return _page(request, float_form=form)


@requires(SHIFTS)
@require_POST
def close_shift(request: HttpRequest, pk: Any) -> HttpResponse:
    row = access_object(actor_of(request), SHIFTS, Shift.objects.all(), pk=pk)
    form = _close_form(row.clinic, request.POST)
    if form.is_valid():
        try:
            closed = shifts.close_shift(
                actor=actor_of(request),
                shift=row,
                counted=form.counted(),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Your shift is closed; a manager signs it off."))
            return redirect("billing:shift_detail", pk=closed.pk)
    return _page(request, close_form=form)


@requires(SHIFTS)
def shift_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    """A shift's figures: takings by method, refunds, deposits, discounts, credit notes, and
    the drawer expected against counted."""
    row = access_object(
        actor_of(request), SHIFTS, Shift.objects.select_related("cashier", "signed_off_by"), pk=pk
    )
    counted = sorted(
        ((Decimal(k), n, Decimal(k) * n) for k, n in (row.counted or {}).items()), reverse=True
    )
    return render(
        request,
        "billing/shift_detail.html",
        {"shift": row, "summary": shifts.summary(row), "counted": counted},
    )


# ---------------------------------------------------------------- managers


@requires(SIGN_OFF)
def review(request: HttpRequest) -> HttpResponse:
    """Closed shifts awaiting sign-off, and refunds awaiting approval."""
    actor = actor_of(request)
    clinic = actor.clinic
    assert clinic is not None
    closed = (
        Shift.objects.for_clinic(clinic)
        .filter(status=ShiftStatus.CLOSED)
        .select_related("cashier")
        .order_by("closed_at")
    )
    refunds = (
        Refund.objects.for_clinic(clinic)
        .filter(status=RefundStatus.AWAITING_APPROVAL)
        .select_related("patient", "requested_by")
        .order_by("requested_at")
    )
    return render(
        request, "billing/review.html", {"closed": list(closed), "refunds": list(refunds)}
    )


@requires(SIGN_OFF)
@require_POST
def sign_off(request: HttpRequest, pk: Any) -> HttpResponse:
    row = access_object(actor_of(request), SIGN_OFF, Shift.objects.all(), pk=pk)
    run_and_report(
        request,
        lambda: shifts.sign_off(actor=actor_of(request), shift=row),
        _("The shift is signed off."),
    )
    return redirect("billing:review")


@requires("billing.refunds.approve")
@require_POST
def approve_refund(request: HttpRequest, pk: Any) -> HttpResponse:
    row = access_object(actor_of(request), "billing.refunds.approve", Refund.objects.all(), pk=pk)
    approve = request.POST.get("decision") != "reject"
    run_and_report(
        request,
        lambda: payments.approve_refund(actor=actor_of(request), refund=row, approve=approve),
        _("The refund is approved.") if approve else _("The refund is rejected."),
    )
    return redirect("billing:review")
