"""Sparrow SMS (Nepal), API v2: http://docs.sparrowsms.com, github.com/sparrowsms/apidocs.

``POST {url}`` (``http://api.sparrowsms.com/v2/sms/``) with the form ``token``, ``from`` (the
identity Sparrow gave us), ``to`` (ten-digit mobile numbers, comma separated) and ``text``.

Took it: HTTP 200, ``{"count": 1, "response_code": 200, "response": "1 mesages has been
queued for delivery"}``; live answers also carry ``message_id`` and ``credit_consumed``
(not in the published page, read when present).

Refused: HTTP 403, ``{"response_code": 10xx, "response": "<message>"}``. 1012 (no credits
available) and 1013 (insufficient credits) pass once the account is topped up: temporary.
The others cannot pass by retrying: 1000 a required field missing, 1001 invalid IP
address, 1002 invalid token, 1003/1004 account inactive, 1005/1006 account expired, 1007
invalid receiver, 1008 invalid sender, 1010 empty text, 1011 no valid receiver."""

from __future__ import annotations

from clinicflow.notifications.sms.backends.base import (
    PermanentSmsError,
    SmsSent,
    TemporarySmsError,
)
from clinicflow.notifications.sms.backends.http import Answer, HttpSmsBackend

#: Codes worth retrying later: the account ran out of credit.
TEMPORARY_CODES = frozenset({1012, 1013})


class SparrowBackend(HttpSmsBackend):
    name = "sparrow"
    default_url = "http://api.sparrowsms.com/v2/sms/"
    needs_sender = True

    def fields(self, *, number: str, text: str, reference: str) -> dict[str, str]:
        return {"token": self._token, "from": self.sender, "to": number, "text": text}

    def read(self, answer: Answer) -> SmsSent:
        body = answer.body if isinstance(answer.body, dict) else {}
        code = _code(body.get("response_code"))
        message = str(body.get("response") or "")
        if answer.status == 200 and code == 200:
            cost, credits = self.money(body.get("credit_consumed"))
            provider_id = body.get("message_id")
            return SmsSent(
                provider_id="" if provider_id is None else str(provider_id),
                cost=cost,
                status="queued",
                credits=credits,
            )
        retry = self.temporary_for_status(answer)
        if retry is not None:
            if message:
                retry.message = f"{retry.message} {message}"
            raise retry
        if code is None or not message:
            raise TemporarySmsError(
                f"The sparrow gateway gave an answer it does not document (HTTP {answer.status}).",
                provider_code=str(answer.status),
            )
        if code in TEMPORARY_CODES:
            raise TemporarySmsError(message, provider_code=str(code))
        raise PermanentSmsError(message, provider_code=str(code))


def _code(value: object) -> int | None:
    """Sparrow's ``response_code`` as a number, whether it came as 1013 or "1013"."""
    try:
        return int(str(value))
    except ValueError:
        return None
