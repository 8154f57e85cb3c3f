"""A payer's claim, moved along from the invoice page: submitted, paid (all or part), or
rejected with the reason. The rules are the claims service's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.billing import claims
from clinicflow.billing.models import Claim
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.feedback import run_and_report


def _move(request: HttpRequest, pk: Any, run: Callable[[Claim], Any], done: str) -> HttpResponse:
    claim = access_object(actor_of(request), claims.ACTION, Claim.objects.all(), pk=pk)
    run_and_report(request, lambda: run(claim), done)
    return redirect("billing:invoice", pk=claim.invoice_id)


@requires(claims.ACTION)
@require_POST
def submit(request: HttpRequest, pk: Any) -> HttpResponse:
    reference = request.POST.get("reference", "")
    return _move(
        request,
        pk,
        lambda claim: claims.submit(actor=actor_of(request), claim=claim, reference=reference),
        _("The claim is marked submitted."),
    )


@requires(claims.ACTION)
@require_POST
def paid(request: HttpRequest, pk: Any) -> HttpResponse:
    data = request.POST
    return _move(
        request,
        pk,
        lambda claim: claims.record_payment(
            actor=actor_of(request),
            claim=claim,
            amount=data.get("amount", ""),
            reference=data.get("reference", ""),
        ),
        _("The payer's payment is recorded."),
    )


@requires(claims.ACTION)
@require_POST
def rejected(request: HttpRequest, pk: Any) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _move(
        request,
        pk,
        lambda claim: claims.reject(actor=actor_of(request), claim=claim, reason=reason),
        _("The claim is marked rejected."),
    )
