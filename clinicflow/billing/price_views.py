"""The price list and the clinic's billing settings: everyone who charges sees the services
and today's prices; a manager adds services, sets new prices from a day on (charges keep the
price they were made at) and changes the billing settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.billing import configuration, prices
from clinicflow.billing.forms import BillingSettingsForm, NewPriceForm, PriceItemForm, show_error
from clinicflow.billing.models import PriceItem
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.errors import DomainError

VIEW = "billing.prices.view"
MANAGE = "billing.prices.manage"


def _list(request: HttpRequest, *, item_form: PriceItemForm | None = None) -> HttpResponse:
    actor = actor_of(request)
    clinic = actor.clinic
    assert clinic is not None
    rows = prices.with_price_today(PriceItem.objects.for_clinic(clinic), clinic)
    today = clinic.local_date()
    return render(
        request,
        "billing/prices.html",
        {
            "items": list(rows.order_by("kind", "name")),
            "item_form": item_form or PriceItemForm(initial={"valid_from": today}),
            "price_form": NewPriceForm(initial={"valid_from": today}),
        },
    )


@requires(VIEW)
def price_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@requires(MANAGE)
@require_POST
def add_item(request: HttpRequest) -> HttpResponse:
    form = PriceItemForm(request.POST)
    if form.is_valid():
        try:
            item = prices.create_item(actor=actor_of(request), **form.cleaned_data)
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("%(item)s is on the price list.") % {"item": item.name})
            return redirect("billing:prices")
    return _list(request, item_form=form)


@requires(MANAGE)
@require_POST
def set_price(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    item = access_object(actor, MANAGE, PriceItem.objects.all(), pk=pk)
    form = NewPriceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the new price and the day it applies from."))
        return redirect("billing:prices")
    try:
        prices.set_price(actor=actor, item=item, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(item)s costs %(amount)s from %(day)s.")
            % {
                "item": item.name,
                "amount": form.cleaned_data["amount"],
                "day": form.cleaned_data["valid_from"],
            },
        )
    return redirect("billing:prices")


@requires(MANAGE)
def billing_settings(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    assert actor.clinic is not None
    form = BillingSettingsForm(request.POST or None, instance=prices.settings_of(actor.clinic))
    if request.method == "POST" and form.is_valid():
        try:
            configuration.update_settings(actor=actor, changes=form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The billing settings were saved."))
            return redirect("billing:settings")
    return render(request, "billing/settings.html", {"form": form})
