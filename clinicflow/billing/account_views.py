"""The patient's account at the counter: a deposit taken in advance, a refund of their
credit (waiting for a manager above the clinic's threshold), and paying out a refund a
manager approved. The rules are the services'; a refusal comes back at the form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.billing import payments
from clinicflow.billing.desk_views import patient_for, show_bill
from clinicflow.billing.forms import DepositForm, RefundForm, show_error
from clinicflow.billing.models import Refund, RefundStatus
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.errors import DomainError


@requires("billing.payments.take")
@require_POST
def deposit(request: HttpRequest, pk: Any) -> HttpResponse:
    patient = patient_for(request, "billing.payments.take", pk)
    form = DepositForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            paid = payments.deposit(
                actor=actor_of(request),
                patient=patient,
                tenders=[payments.TenderIn(data["method"], data["amount"], data["reference"])],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(
                request,
                _("Deposit of %(amount)s taken, receipt %(number)s.")
                % {"amount": paid.amount, "number": paid.number},
            )
            return redirect("billing:patient", pk=patient.pk)
    return show_bill(request, patient, deposit_form=form)


@requires("billing.refunds.request")
@require_POST
def refund(request: HttpRequest, pk: Any) -> HttpResponse:
    patient = patient_for(request, "billing.refunds.request", pk)
    form = RefundForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            made = payments.refund(
                actor=actor_of(request),
                patient=patient,
                amount=data["amount"],
                method=data["method"],
                reason=data["reason"],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            if made.status == RefundStatus.PAID:
                text = _("Refunded %(amount)s, number %(number)s.")
            else:
                text = _("The refund of %(amount)s waits for a manager's approval.")
            messages.success(request, text % {"amount": made.amount, "number": made.number})
            return redirect("billing:patient", pk=patient.pk)
    return show_bill(request, patient, refund_form=form)


@requires("billing.refunds.request")
@require_POST
def pay_out(request: HttpRequest, pk: Any) -> HttpResponse:
    """Hand out a refund a manager approved, from the counter's open shift."""
    actor = actor_of(request)
    row = access_object(actor, "billing.refunds.request", Refund.objects.all(), pk=pk)
    try:
        paid = payments.pay_refund(actor=actor, refund=row)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Refunded %(amount)s, number %(number)s.")
            % {"amount": paid.amount, "number": paid.number},
        )
    return redirect("billing:patient", pk=row.patient_id)
