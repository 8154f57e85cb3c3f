"""Aakash SMS (Nepal), API v3: the manual in the Aakash dashboard (API Service → API Manual),
bitbucket.org/aakashsms/api.

``POST {url}`` (``https://sms.aakashsms.com/sms/v3/send``) with the form ``auth_token``,
``to`` (ten-digit mobile numbers, comma separated) and ``text``; the sender is the account's.

Answers are JSON ``{"error": bool, "message": "...", "data": ...}``:

- took it: ``"error": false`` and ``data.valid`` lists each queued message
  ``{"id", "mobile", "text", "credit", "network", "status": "queued"}``;
- a number it will not send to: ``data.invalid`` lists it instead, ``"status": "aborted"``
  with no credit charged (permanent);
- refused outright: ``"error": true`` with the reason in ``message`` ("The provided Auth Token
  is not valid.", "The to field is required.", "Not enough balance." ...). Aakash gives no
  codes; a lack of balance or credit passes once the account is topped up (temporary),
  the rest cannot pass by retrying."""

from __future__ import annotations

from typing import Any

from clinicflow.notifications.sms.backends.base import (
    PermanentSmsError,
    SmsSent,
    TemporarySmsError,
)
from clinicflow.notifications.sms.backends.http import Answer, HttpSmsBackend

#: Words of a refusal that topping up the account fixes.
LOW_CREDIT_WORDS = ("balance", "credit")


class AakashBackend(HttpSmsBackend):
    name = "aakash"
    default_url = "https://sms.aakashsms.com/sms/v3/send"

    def fields(self, *, number: str, text: str, reference: str) -> dict[str, str]:
        return {"auth_token": self._token, "to": number, "text": text}

    def read(self, answer: Answer) -> SmsSent:
        body = answer.body if isinstance(answer.body, dict) else {}
        message = str(body.get("message") or "")
        data: dict[str, Any] = body["data"] if isinstance(body.get("data"), dict) else {}
        if answer.status == 200 and body.get("error") is False:
            valid: list[Any] = data.get("valid") or []
            invalid: list[Any] = data.get("invalid") or []
            if valid and isinstance(valid[0], dict):
                return self.sent(valid[0])
            if invalid and isinstance(invalid[0], dict):
                status = str(invalid[0].get("status") or "aborted")
                raise PermanentSmsError(
                    f"Aakash will not send to this number ({status}).", provider_code=status
                )
        retry = self.temporary_for_status(answer)
        if retry is not None:
            if message:
                retry.message = f"{retry.message} {message}"
            raise retry
        if body.get("error") is not True or not message:
            raise TemporarySmsError(
                f"The aakash gateway gave an answer it does not document (HTTP {answer.status}).",
                provider_code=str(answer.status),
            )
        if any(word in message.lower() for word in LOW_CREDIT_WORDS):
            raise TemporarySmsError(message, provider_code=str(answer.status))
        raise PermanentSmsError(message, provider_code=str(answer.status))

    def sent(self, entry: dict[str, Any]) -> SmsSent:
        cost, credits = self.money(entry.get("credit"))
        queued = str(entry.get("status", "queued")).lower() == "queued"
        return SmsSent(
            provider_id=str(entry.get("id", "")),
            cost=cost,
            status="queued" if queued else "sent",
            credits=credits,
        )
