"""Price lists and what an item costs on a day. A price is never changed: a new price is a
new row from a day on, so charges made under the old one keep it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery

from clinicflow.billing.models import (
    BillingSettings,
    ItemKind,
    Payer,
    PayerKind,
    Price,
    PriceItem,
    PriceList,
    TaxCategory,
)
from clinicflow.billing.money import read_amount
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError


def settings_of(clinic: Any) -> BillingSettings:
    """The clinic's billing settings (the defaults, saved, the first time they are asked)."""
    found = BillingSettings.objects.for_clinic(clinic).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return BillingSettings.objects.create(clinic=clinic, qr_merchant_name=clinic.name[:25])
    except IntegrityError:
        return BillingSettings.objects.for_clinic(clinic).get()


def default_list(clinic: Any) -> PriceList:
    found = PriceList.objects.for_clinic(clinic).filter(is_default=True).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return PriceList.objects.create(clinic=clinic, name="Standard", is_default=True)
    except IntegrityError:
        return PriceList.objects.for_clinic(clinic).get(is_default=True)


def price_of(item: PriceItem, on: date, price_list: PriceList | None = None) -> Decimal | None:
    """The item's price on ``on`` in ``price_list``, or in the default list when that list
    has none for it; None when it has no price at all."""
    lists = [price_list] if price_list is not None and not price_list.is_default else []
    lists.append(default_list(item.clinic))
    for candidate in lists:
        found = (
            Price.objects.for_clinic(item.clinic)
            .filter(price_list=candidate, item=item, valid_from__lte=on)
            .order_by("-valid_from")
            .values_list("amount", flat=True)
            .first()
        )
        if found is not None:
            return found
    return None


def with_price_today(rows: QuerySet[PriceItem], clinic: Any) -> QuerySet[PriceItem]:
    """Each item with its price today on the clinic's standard list, in the same query."""
    today = clinic.local_date()
    standard = default_list(clinic)
    price = (
        Price.objects.for_clinic(clinic)
        .filter(item=OuterRef("pk"), price_list=standard, valid_from__lte=today)
        .order_by("-valid_from")
        .values("amount")[:1]
    )
    return rows.annotate(current_price=Subquery(price))


def _store_price(
    item: PriceItem, price_list: PriceList, amount: Decimal, valid_from: date
) -> Price | None:
    """A new price from ``valid_from`` (None when the item costs that already). Charges keep
    the price they were made at, so a new price never changes one."""
    if price_of(item, valid_from, price_list) == amount:
        return None
    rows = Price.objects.for_clinic(item.clinic).filter(price_list=price_list, item=item)
    if rows.filter(valid_from=valid_from).exists():
        raise DomainError(
            "This item already has a new price from that day; choose another day.",
            field="valid_from",
        )
    return Price.objects.create(
        clinic=item.clinic, price_list=price_list, item=item, amount=amount, valid_from=valid_from
    )


@transaction.atomic
def set_price(
    *,
    actor: Actor,
    item: PriceItem,
    amount: Any,
    valid_from: date,
    price_list: PriceList | None = None,
) -> Price | None:
    clinic = policy.require(actor, "billing.prices.manage", item)
    price_list = price_list or default_list(clinic)
    if price_list.clinic_id != clinic.pk:
        raise DomainError("Choose one of this clinic's price lists.", field="price_list")
    return _store_price(item, price_list, read_amount(amount, allow_zero=True), valid_from)


@transaction.atomic
def create_item(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    amount: Any,
    valid_from: date,
    tax_category: str = TaxCategory.EXEMPT,
    department: str = "",
) -> PriceItem:
    clinic = policy.require(actor, "billing.prices.manage")
    code, name = code.strip().upper(), name.strip()
    if not code or not name:
        raise DomainError("An item needs a code and a name.", field="code" if not code else "name")
    if kind not in ItemKind.values or kind == ItemKind.MEDICINE:
        raise DomainError("Choose what kind of service this is.", field="kind")
    if tax_category not in TaxCategory.values:
        raise DomainError("Choose the tax category.", field="tax_category")
    if PriceItem.objects.for_clinic(clinic).filter(code=code).exists():
        raise DomainError("Another item has this code.", field="code")
    price = read_amount(amount, allow_zero=True)
    item = PriceItem.objects.create(
        clinic=clinic,
        code=code,
        name=name,
        kind=kind,
        tax_category=tax_category,
        department=department.strip(),
    )
    _store_price(item, default_list(clinic), price, valid_from)
    return item


def keep_item(
    clinic: Any,
    *,
    code: str,
    name: str,
    kind: str,
    amount: Decimal,
    on: date,
    department: str = "",
    manual: bool = False,
) -> PriceItem:
    """Keep an item a domain owns (a doctor's consultation) in step with its record: its
    name, and from ``on`` its price in the default list. Called inside the domain's own
    service or save, which decided who may change it."""
    item, _created = PriceItem.objects.for_clinic(clinic).get_or_create(
        clinic=clinic,
        code=code,
        defaults={"name": name, "kind": kind, "department": department, "is_manual": manual},
    )
    if (item.name, item.department) != (name, department):
        item.name, item.department = name, department
        item.save(update_fields=["name", "department"])
    price_list = default_list(clinic)
    if price_of(item, on, price_list) != amount:
        Price.objects.for_clinic(clinic).update_or_create(
            clinic=clinic,
            price_list=price_list,
            item=item,
            valid_from=on,
            defaults={"amount": amount},
        )
    return item


# ---------------------------------------------------------------- the clinic's billing set-up


@transaction.atomic
def add_payer(*, actor: Actor, name: str, kind: str, reference: str = "") -> Payer:
    """An insurer or a company that pays part of some patients' bills. Errors:
    ``DomainError`` (no name, an unknown kind, the name taken)."""
    clinic = policy.require(actor, "billing.prices.manage")
    name = " ".join(name.split())
    if not name:
        raise DomainError("Give the payer's name.", field="name")
    if kind not in PayerKind.values:
        raise DomainError("Choose what kind of payer this is.", field="kind")
    if Payer.objects.for_clinic(clinic).filter(name__iexact=name).exists():
        raise DomainError("Another payer has this name.", field="name")
    return Payer.objects.create(
        clinic=clinic, name=name[:120], kind=kind, reference=reference.strip()[:60]
    )


@transaction.atomic
def add_price_list(*, actor: Actor, name: str, payer: Payer | None = None) -> PriceList:
    """A price list besides the standard one, usually a payer's. Errors: ``DomainError``
    (no name, the name taken, another clinic's payer)."""
    clinic = policy.require(actor, "billing.prices.manage")
    default_list(clinic)  # the standard list comes first
    name = " ".join(name.split())
    if not name:
        raise DomainError("Give the list a name.", field="name")
    if payer is not None and payer.clinic_id != clinic.pk:
        raise DomainError("Choose one of this clinic's payers.", field="payer")
    if PriceList.objects.for_clinic(clinic).filter(name__iexact=name).exists():
        raise DomainError("Another price list has this name.", field="name")
    return PriceList.objects.create(clinic=clinic, name=name[:80], payer=payer)
