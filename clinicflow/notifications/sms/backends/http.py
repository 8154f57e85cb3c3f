"""A gateway reached over HTTP: a form posted with the token, a JSON answer read back.

A subclass gives its ``name``, ``default_url``, the fields of its request (``fields``) and
how it reads an answer (``read``); this class posts the form with the standard library
(no client library needed), turns the network's failures into ``TemporarySmsError`` and
keeps the token out of logs and errors.

Options (``SMS_OPTIONS``): ``token`` (required), ``sender`` (the identity the provider gave
us, when it wants one), ``url`` (the provider's send address; tests point it at the loopback
stand-in), ``timeout`` in seconds (10), ``credit_price`` (what one of the provider's credits
costs us, to turn credits into money)."""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from abc import abstractmethod
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured

from clinicflow.notifications.sms.backends.base import (
    SmsBackend,
    SmsSent,
    TemporarySmsError,
)
from clinicflow.notifications.sms.numbers import masked, national_mobile

logger = logging.getLogger("clinicflow.notifications.sms")

MAX_ANSWER = 64 * 1024


@dataclass(frozen=True)
class Answer:
    """What the provider said: the HTTP status and the body read as JSON (``None`` when it
    was not JSON)."""

    status: int
    body: Any
    text: str


class HttpSmsBackend(SmsBackend):
    default_url: ClassVar[str]
    needs_sender: ClassVar[bool] = False

    def __init__(
        self,
        *,
        token: str = "",
        sender: str = "",
        url: str = "",
        timeout: float | str = 10,
        credit_price: Decimal | str | None = None,
        **_other: Any,
    ) -> None:
        if not token:
            raise ImproperlyConfigured(f"The {self.name} SMS gateway needs a token (SMS_TOKEN).")
        if self.needs_sender and not sender:
            raise ImproperlyConfigured(f"The {self.name} SMS gateway needs a sender (SMS_SENDER).")
        self._token = token
        self.sender = sender
        self.url = url or self.default_url
        self.timeout = float(timeout)
        self.credit_price = Decimal(str(credit_price)) if credit_price not in (None, "") else None

    def __repr__(self) -> str:  # never the token
        return f"<{type(self).__name__} {self.url}>"

    @abstractmethod
    def fields(self, *, number: str, text: str, reference: str) -> dict[str, str]:
        """The form to post, token included (``self._token``)."""

    @abstractmethod
    def read(self, answer: Answer) -> SmsSent:
        """``SmsSent`` for an answer that took the message; raise ``SmsError`` otherwise."""

    def send(self, *, to: str, text: str, reference: str) -> SmsSent:
        number = national_mobile(to)
        answer = self.post(self.fields(number=number, text=text, reference=reference))
        try:
            sent = self.read(answer)
        except Exception as error:
            logger.warning(
                "SMS via %s to %s (%s) refused: %s", self.name, masked(number), reference, error
            )
            raise
        logger.info(
            "SMS via %s to %s (%s): %s, id %s",
            self.name, masked(number), reference, sent.status, sent.provider_id,
        )  # fmt: skip
        return sent

    def post(self, fields: dict[str, str]) -> Answer:
        body = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(  # noqa: S310 - the address is ours (settings), http(s)
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return self.answer(response.status, response.read(MAX_ANSWER))
            except urllib.error.HTTPError as error:  # 4xx, 5xx: their bodies say why
                with error:
                    return self.answer(error.code, error.read(MAX_ANSWER))
        except urllib.error.URLError as error:
            # Before the request was sent: refused, unknown host, or a connect timeout.
            raise TemporarySmsError(
                f"The {self.name} gateway could not be reached: {error.reason}",
                provider_code="connection",
            ) from None
        except TimeoutError:
            raise TemporarySmsError(
                f"The {self.name} gateway did not answer within {self.timeout:g} s.",
                provider_code="timeout",
                may_have_sent=True,
            ) from None
        except (ConnectionError, http.client.HTTPException) as error:
            raise TemporarySmsError(
                f"The {self.name} gateway broke off its answer: {type(error).__name__}",
                provider_code="connection",
                may_have_sent=True,
            ) from None

    @staticmethod
    def answer(status: int, raw: bytes) -> Answer:
        text = raw.decode("utf-8", errors="replace")
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        return Answer(status, body, text)

    def money(self, credits: Any) -> tuple[Decimal | None, Decimal | None]:
        """(cost, credits) from the provider's count of credits, if it gave one."""
        try:
            counted = Decimal(str(credits)) if credits is not None else None
        except InvalidOperation:
            counted = None
        if counted is None or self.credit_price is None:
            return None, counted
        return counted * self.credit_price, counted

    def temporary_for_status(self, answer: Answer) -> TemporarySmsError | None:
        """Server errors and throttling are worth retrying whatever the body says."""
        if answer.status >= 500 or answer.status in (408, 429):
            return TemporarySmsError(
                f"The {self.name} gateway answered HTTP {answer.status}.",
                provider_code=str(answer.status),
            )
        return None
