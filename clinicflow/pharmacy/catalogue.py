"""The catalogue's CSV: an import that checks every row first and changes nothing unless all are
good (the report names row, field and error), and the same columns for export; and adding or
changing one medicine (``save_medicine``) with the same tidying."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import Conflict, DomainError, field_errors
from clinicflow.core.imports import ImportRefused, RowError, csv_rows
from clinicflow.core.text import refuse_control_characters
from clinicflow.pharmacy.models import Medicine

COLUMNS = (
    "generic_name", "brand", "form", "strength", "unit", "ingredients", "drug_class",
    "max_daily_mg", "mg_per_unit", "pregnancy_caution", "paediatric_caution",
    "reorder_level", "sale_price",
)  # fmt: skip
REQUIRED = ("generic_name", "form", "ingredients")
DECIMALS = ("max_daily_mg", "mg_per_unit", "sale_price")
FLAGS = ("pregnancy_caution", "paediatric_caution")
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0", ""}
MAX_ROWS = 20_000


def _value(name: str, raw: str) -> Any:
    text = (raw or "").strip()
    try:
        refuse_control_characters(text)  # the rule every form and serializer applies
    except ValidationError:
        raise ValueError(_("holds an invisible control character")) from None
    if name in DECIMALS:
        if not text:
            return None if name != "sale_price" else Decimal("0")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("not a number")) from None
        if not number.is_finite() or number < 0:
            raise ValueError(_("must be zero or more"))
        return number
    if name in FLAGS:
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        raise ValueError(_("write yes or no"))
    if name == "reorder_level":
        if not text:
            return 0
        if not text.isdigit():
            raise ValueError(_("a whole number"))
        return int(text)
    if name == "ingredients":
        return ";".join(i.strip().lower() for i in text.split(";") if i.strip())
    return " ".join(text.split())


def _rows(content: bytes) -> list[dict[str, str]]:
    return csv_rows(content, COLUMNS, max_rows=MAX_ROWS)


IDENTITY = ("generic_name", "brand", "form", "strength")


def _key(values: Any) -> tuple[str, ...]:
    """What makes a product one (case aside): from a parsed row or a medicine."""
    get = values.get if isinstance(values, dict) else lambda n, d="": getattr(values, n, d)
    return tuple(str(get(n, "")).lower() for n in IDENTITY)


@transaction.atomic
def import_csv(*, actor: Actor, content: bytes) -> tuple[int, int]:
    """Add or update (same name, brand, form and strength) every row of the file, or nothing.
    Returns (added, updated). Errors: ``ImportRefused`` with the report; ``DomainError``."""
    clinic = policy.require(actor, "pharmacy.catalogue.manage")
    errors: list[RowError] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[tuple[str, ...], int] = {}
    for number, row in enumerate(_rows(content), start=2):
        fields: dict[str, Any] = {}
        for name in COLUMNS:
            try:
                fields[name] = _value(name, row.get(name) or "")
            except ValueError as exc:
                errors.append(RowError(number, name, str(exc)))
        for name in REQUIRED:
            if name in fields and not fields[name]:
                errors.append(RowError(number, name, _("required")))
        key = _key(fields)
        if key in seen:
            errors.append(RowError(number, "generic_name", _("repeats row %d") % seen[key]))
        seen.setdefault(key, number)
        parsed.append((number, fields))
    existing = {_key(m): m for m in Medicine.objects.for_clinic(clinic)}
    to_save: list[tuple[Medicine, bool]] = []
    for number, fields in parsed:
        if any(e.row == number for e in errors):
            continue
        key = _key(fields)
        medicine = existing.get(key) or Medicine(clinic=clinic)
        for name, value in fields.items():
            setattr(medicine, name, value)
        try:
            medicine.full_clean(exclude=["clinic"], validate_unique=False)
        except ValidationError as exc:
            errors += [
                RowError(number, field, " ".join(messages))
                for field, messages in exc.message_dict.items()
            ]
            continue
        to_save.append((medicine, medicine.pk is None))
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: (e.row, e.field)))
    for medicine, _new in to_save:
        medicine.save()
    added = sum(1 for _m, new in to_save if new)
    return added, len(to_save) - added


def row_of(medicine: Medicine) -> list[Any]:
    """A medicine as the CSV writes it (the import reads it back)."""
    values = []
    for name in COLUMNS:
        value = getattr(medicine, name)
        if name in FLAGS:
            value = "yes" if value else "no"
        values.append("" if value is None else value)
    return values


# ---------------------------------------------------------------- one medicine at a time

#: What a person may set on a medicine (the CSV's columns and the active flag).
EDITABLE = (*COLUMNS, "is_active")


@transaction.atomic
def save_medicine(
    *, actor: Actor, fields: Mapping[str, Any], medicine: Medicine | None = None
) -> Medicine:
    """Add a medicine to the catalogue, or change ``medicine``: text is tidied as the import
    tidies it; the same product twice (name, brand, form and strength, case aside) is refused.
    A medicine is never deleted, only made inactive. Errors: ``DomainError`` naming the field."""
    clinic = policy.require(actor, "pharmacy.catalogue.manage", medicine)
    target = medicine or Medicine(clinic=clinic)
    for name, value in fields.items():
        if name not in EDITABLE:
            raise DomainError(_("This cannot be changed here."), field=name)
        try:
            setattr(target, name, _value(name, value) if isinstance(value, str) else value)
        except ValueError as exc:
            raise DomainError(str(exc), field=name) from None
    for name in REQUIRED:
        if not getattr(target, name):
            raise DomainError(_("This is required."), field=name)
    twins = Medicine.objects.for_clinic(clinic).filter(
        **{f"{name}__iexact": getattr(target, name) for name in IDENTITY}
    )
    if twins.exclude(pk=target.pk).exists():
        raise DomainError(_("This medicine is already in the catalogue."), field="generic_name")
    with field_errors():
        target.full_clean(exclude=["clinic"], validate_unique=False)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise Conflict(_("Someone else has just saved this medicine.")) from None
    return target
