"""How ClinicFlow counts money: ``Decimal`` in the clinic's currency, two places.

The rule, once: each invoice line is rounded on its own — gross (quantity × unit price),
then tax on (gross − discount) — half up to the currency's minor unit (paisa for NPR), and
every total is the sum of its rounded lines. Nothing is rounded twice, so a printed invoice
adds up line by line, and a credit note of a whole line gives back exactly what it cost."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from clinicflow.core.errors import DomainError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
#: The largest amount a money column holds (12 digits, 2 of them decimals).
LIMIT = Decimal("9999999999.99")


def rounded(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def read_amount(raw: Any, field: str = "amount", *, allow_zero: bool = False) -> Decimal:
    """An amount typed by a person or sent by a client: at most two decimals, not negative
    (nor zero unless allowed), within what the books hold."""
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise DomainError("Enter an amount, e.g. 1250 or 1250.50.", field=field) from None
    if not value.is_finite():
        raise DomainError("Enter an amount, e.g. 1250 or 1250.50.", field=field)
    if value != value.quantize(CENT):
        raise DomainError("An amount has at most two decimals.", field=field)
    if value < 0 or (value == 0 and not allow_zero):
        raise DomainError("The amount must be more than zero.", field=field)
    if value > LIMIT:
        raise DomainError("That amount is too large.", field=field)
    return value.quantize(CENT)


def summed(value: Decimal | None) -> Decimal:
    """A database sum as money: no rows is zero, and SQLite's sums (computed in floating
    point, their scale lost) come back to whole cents."""
    return ZERO if value is None else rounded(Decimal(value))


def tax_on(net: Decimal, rate: Decimal) -> Decimal:
    return rounded(net * rate / Decimal(100)) if rate else ZERO


def share(total: Decimal, percent: Decimal) -> Decimal:
    """``percent`` of ``total``, rounded by the one rule."""
    return rounded(total * percent / Decimal(100))


def shown(value: Decimal, currency: str) -> str:
    """An amount as people read it, with the clinic's currency: ``1,250.00 NPR`` (the printed
    bills' form)."""
    return f"{rounded(Decimal(value)):,.2f} {currency}"
