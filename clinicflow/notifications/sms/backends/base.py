"""What the outbox calls to send one SMS, and what it gets back.

``get_backend()`` builds the configured gateway (``SMS_BACKEND``: a short name, ``console``,
``sparrow`` or ``aakash``, or a dotted path to a class; ``SMS_OPTIONS``: the keyword
arguments of its constructor). ``backend.send(to=..., text=..., reference=...)`` either
returns ``SmsSent`` (the provider took the message: its id, what it cost, "sent" or
"queued") or raises:

- ``PermanentSmsError``: sending the same message again cannot succeed (not a mobile number,
  a number the provider refuses, a wrong token or sender identity, an inactive account):
  the outbox marks it failed at once with the provider's message.
- ``TemporarySmsError``: it may succeed later (timeout, connection refused, the provider's
  5xx, too many requests, no credit left: topping up fixes it): the outbox retries with
  backoff. ``may_have_sent`` says the request reached the provider before the answer was
  lost (a read timeout): the message may already be on its way.

``reference`` is ours (the outbox message's idempotency key), for logs and for providers
that accept one. A backend never logs its token.

Adding a gateway is one small class: an ``HttpSmsBackend`` subclass (``http.py``) that says
how to build its request and how to read its answer."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Literal

from django.conf import settings
from django.utils.module_loading import import_string

SHORT_NAMES = {
    "console": "clinicflow.notifications.sms.backends.console.ConsoleBackend",
    "sparrow": "clinicflow.notifications.sms.backends.sparrow.SparrowBackend",
    "aakash": "clinicflow.notifications.sms.backends.aakash.AakashBackend",
}


@dataclass(frozen=True)
class SmsSent:
    """The provider took the message. ``cost`` is in the clinic's currency when the backend
    knows the price of a credit (``credit_price``), else ``None``; ``credits`` is what the
    provider said it charged, when it says."""

    provider_id: str
    cost: Decimal | None
    status: Literal["sent", "queued"]
    credits: Decimal | None = None


class SmsError(Exception):
    """The provider did not take the message. ``message`` is the provider's own words (or
    ours, when no answer came), safe to show a manager in the delivery log;
    ``provider_code`` the provider's code for it, when it gave one."""

    def __init__(self, message: str, *, provider_code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.provider_code = provider_code

    def __str__(self) -> str:
        return f"{self.message} ({self.provider_code})" if self.provider_code else self.message


class PermanentSmsError(SmsError):
    """Sending again cannot help: fail the message now."""


class TemporarySmsError(SmsError):
    """Sending again later may work: retry with backoff."""

    def __init__(self, message: str, *, provider_code: str = "", may_have_sent: bool = False):
        super().__init__(message, provider_code=provider_code)
        self.may_have_sent = may_have_sent


class SmsBackend(ABC):
    """One gateway. ``name`` is how the delivery log names it."""

    name: ClassVar[str]

    def __init__(self, **options: Any) -> None:  # noqa: B027 - a gateway may take no options
        pass

    @abstractmethod
    def send(self, *, to: str, text: str, reference: str) -> SmsSent:
        """Send ``text`` to ``to`` (as people type it or in E.164); raise ``SmsError``."""


def get_backend(name: str | None = None, **options: Any) -> SmsBackend:
    """The configured gateway with ``SMS_OPTIONS`` updated by ``options``; or another one,
    by name, with ``options`` alone (the settings' token is not handed to another gateway)."""
    configured = getattr(settings, "SMS_BACKEND", "console")
    path = name or configured
    backend_class = import_string(SHORT_NAMES.get(path, path))
    base = getattr(settings, "SMS_OPTIONS", {}) if path == configured else {}
    merged = {**base, **options}
    backend: SmsBackend = backend_class(**merged)
    return backend
