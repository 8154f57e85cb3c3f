"""Payment gateways' callbacks: a QR or wallet provider (Fonepay, Khalti, eSewa) tells us that a
bill was paid, and each provider is one small ``Gateway`` class that checks the message really
comes from it and reads it into a ``GatewayCallback``.

A gateway only *reads*: it proves the message authentic (its signature, its age) and
well-formed, and says which bill, how much and the provider's own transaction id. Recording
the payment belongs to the billing services, which treat ``(provider, provider_reference)`` as
the idempotency key, so a callback the provider sends twice pays the bill once. The webhook
view looks a provider up by name with ``get`` and turns the refusals into answers:
``UnknownGatewayError`` a 404, ``GatewaySignatureError`` a 403, ``GatewayPayloadError`` a 400.

``SignedCallbackGateway`` ("signed") is our own documented scheme, for a provider without one
of its own and for the stand-in server of development and tests:

- body: JSON ``{"reference": "<provider's id>", "bill_number": "<ours, from the QR>",
  "amount": "1250.00", "currency": "NPR", "paid_at": "2025-01-31T10:15:00+05:45"}``;
- ``X-Timestamp: <unix seconds>`` and ``X-Signature: sha256=<hex>``, the HMAC-SHA256 under the
  shared secret of ``"<timestamp>.<body>"``; ``sign`` makes it.

A message more than five minutes old or early is refused, so a captured callback cannot be
replayed later."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

MAX_BODY = 64 * 1024
MAX_AMOUNT_DIGITS = 10  # before the decimal point, as a QR code's amount allows


class GatewayError(Exception):
    """A callback that is not taken."""


class GatewaySignatureError(GatewayError):
    """Not proven to come from the provider: no signature, a wrong one, or too old or early."""


class GatewayPayloadError(GatewayError):
    """Authentic (or not yet known to be), but not a callback we can read."""


class UnknownGatewayError(GatewayError, LookupError):
    """No gateway of that name."""


@dataclass(frozen=True)
class GatewayCallback:
    """A provider's word that a bill was paid. ``provider_reference`` is the provider's own
    transaction id: with ``provider`` it is the idempotency key of the payment. ``amount`` is
    in ``currency`` (ISO 4217 letters, e.g. "NPR"); ``paid_at`` is aware, or ``None`` when the
    provider did not say. ``raw`` is the body as the provider sent it, for the record."""

    provider: str
    provider_reference: str
    bill_number: str
    amount: Decimal
    currency: str
    paid_at: datetime | None
    raw: dict[str, Any] = field(compare=False, hash=False, repr=False)


class Gateway(ABC):
    """One provider's callbacks. A subclass names itself (``name``, as it appears in the
    webhook's address) and reads a request in ``verify``."""

    name: ClassVar[str]

    @abstractmethod
    def verify(
        self, request_body: bytes, headers: Mapping[str, str], secret: bytes
    ) -> GatewayCallback:
        """The callback in ``request_body``, once proven to come from the provider with
        ``secret``. Raises ``GatewaySignatureError`` when it is not, ``GatewayPayloadError``
        when it cannot be read."""


# ---------------------------------------------------------------- the registry

_GATEWAYS: dict[str, type[Gateway]] = {}
G = TypeVar("G", bound=type[Gateway])


def register(gateway_cls: G) -> G:
    """Make a gateway known by its ``name`` (also as a class decorator). A second class of the
    same name is refused: two providers cannot share a webhook."""
    name = getattr(gateway_cls, "name", "")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", name):
        raise ValueError(f"{gateway_cls.__name__} needs a short lower-case name, not {name!r}.")
    known = _GATEWAYS.get(name)
    if known is not None and known is not gateway_cls:
        raise ValueError(f"A gateway named {name!r} is already registered ({known.__name__}).")
    _GATEWAYS[name] = gateway_cls
    return gateway_cls


def get(name: str) -> Gateway:
    """The gateway registered as ``name``, ready to verify. Raises
    ``UnknownGatewayError``."""
    try:
        gateway_cls = _GATEWAYS[name]
    except (KeyError, TypeError):
        raise UnknownGatewayError(f"No payment gateway is called {name!r}.") from None
    return gateway_cls()


def names() -> list[str]:
    """The registered gateways' names, sorted."""
    return sorted(_GATEWAYS)


# ---------------------------------------------------------------- reading a body


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever its case (Django's ``request.headers`` does this already;
    a plain dict does not)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def read_json_object(body: bytes) -> dict[str, Any]:
    """``body`` as a JSON object, refused (``GatewayPayloadError``) when it is too large, not
    UTF-8, not JSON, not an object, or names a key twice (which reading would settle
    silently, and two readers differently)."""

    def no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise GatewayPayloadError(f"The callback names {key!r} twice.")
            result[key] = value
        return result

    if len(body) > MAX_BODY:
        raise GatewayPayloadError("The callback is too large.")
    try:
        data = json.loads(body.decode("utf-8"), object_pairs_hook=no_repeats)
    except UnicodeDecodeError:
        raise GatewayPayloadError("The callback is not UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise GatewayPayloadError(f"The callback is not JSON: {exc.msg}.") from None
    if not isinstance(data, dict):
        raise GatewayPayloadError("The callback is not a JSON object.")
    return data


def read_text(data: Mapping[str, Any], key: str, *, longest: int) -> str:
    """A required string field: not empty, at most ``longest`` characters, no control
    characters."""
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise GatewayPayloadError(f"The callback has no {key!r}.")
    if len(value) > longest:
        raise GatewayPayloadError(f"The callback's {key!r} is longer than {longest} characters.")
    if any(unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for char in value):
        raise GatewayPayloadError(f"The callback's {key!r} holds a control character.")
    return value


_AMOUNT = re.compile(rf"[0-9]{{1,{MAX_AMOUNT_DIGITS}}}(?:\.[0-9]{{1,2}})?")


def read_amount(value: Any) -> Decimal:
    """An amount written as a string of digits with at most two decimal places and more than
    zero: ``"1250.00"``, ``"1250"``. A JSON number is refused, as binary floating point."""
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        raise GatewayPayloadError(
            f'The callback\'s amount must be a string like "1250.00" with at most two decimal '
            f"places, not {value!r}."
        )
    amount = Decimal(value)
    if amount <= 0:
        raise GatewayPayloadError("The callback's amount is not more than zero.")
    return amount


def read_currency(value: Any) -> str:
    """ISO 4217 letters, in capitals: ``"NPR"``."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise GatewayPayloadError(
            f"The callback's currency must be three capital letters (ISO 4217), not {value!r}."
        )
    return value


def read_time(value: Any) -> datetime | None:
    """An ISO 8601 time with its UTC offset, or ``None`` when absent."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise GatewayPayloadError("The callback's paid_at must be an ISO 8601 time.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise GatewayPayloadError(
            f"The callback's paid_at is not an ISO 8601 time: {value!r}."
        ) from None
    if moment.utcoffset() is None:
        raise GatewayPayloadError("The callback's paid_at has no UTC offset.")
    return moment


# ---------------------------------------------------------------- our signed scheme

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
TOLERANCE_SECONDS = 5 * 60
_SIGNATURE = re.compile(r"sha256=([0-9a-f]{64})")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def sign(body: bytes, secret: bytes, timestamp: int) -> str:
    """The ``X-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds):
    ``"sha256=<hex>"``, the HMAC-SHA256 under ``secret`` of ``b"<timestamp>." + body``."""
    if not secret:
        raise ValueError("A payment gateway's secret must not be empty.")
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret, message, hashlib.sha256).hexdigest()


@register
class SignedCallbackGateway(Gateway):
    """Our documented scheme (see the module's description). ``clock`` gives the time now in
    unix seconds; tests pass their own."""

    name = "signed"

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        tolerance_seconds: int = TOLERANCE_SECONDS,
    ):
        self.clock = clock
        self.tolerance_seconds = tolerance_seconds

    def verify(
        self, request_body: bytes, headers: Mapping[str, str], secret: bytes
    ) -> GatewayCallback:
        if not secret:
            raise ValueError("A payment gateway's secret must not be empty.")
        given = _header(headers, SIGNATURE_HEADER)
        stamp = _header(headers, TIMESTAMP_HEADER)
        if given is None or stamp is None:
            raise GatewaySignatureError(
                f"The callback has no {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header."
            )
        if not _SIGNATURE.fullmatch(given.strip()) or not _TIMESTAMP.fullmatch(stamp.strip()):
            raise GatewaySignatureError("The callback's signature headers are malformed.")
        timestamp = int(stamp.strip())
        expected = sign(request_body, secret, timestamp)
        if not hmac.compare_digest(expected.encode("ascii"), given.strip().encode("ascii")):
            raise GatewaySignatureError("The callback's signature does not match.")
        if abs(self.clock() - timestamp) > self.tolerance_seconds:
            raise GatewaySignatureError(
                f"The callback's timestamp is more than {self.tolerance_seconds} seconds from "
                "now: a replay, or a clock far off."
            )
        data = read_json_object(request_body)
        return GatewayCallback(
            provider=self.name,
            provider_reference=read_text(data, "reference", longest=64),
            bill_number=read_text(data, "bill_number", longest=25),
            amount=read_amount(data.get("amount")),
            currency=read_currency(data.get("currency")),
            paid_at=read_time(data.get("paid_at")),
            raw=data,
        )
