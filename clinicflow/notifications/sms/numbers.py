"""Nepali mobile numbers as the gateways want them: ten digits, 96–98 then eight more
(Nepal Telecom, Ncell, Smart). People and the patients' records write them in other ways:
"+977 984-1234567" (E.164 as stored), "9779841234567", "009779841234567", "984 1234567".
Anything that is not a Nepali mobile, a landline (01-4xxxxxx), a foreign number, a short
code, is refused before any request is made: no gateway here can deliver it."""

from __future__ import annotations

import re

from clinicflow.notifications.sms.backends.base import PermanentSmsError

MOBILE = re.compile(r"9[678]\d{8}")
SEPARATORS = re.compile(r"[\s\-().]")


def national_mobile(raw: str) -> str:
    """The ten digits of a Nepali mobile number; ``PermanentSmsError`` for anything else."""
    text = SEPARATORS.sub("", raw or "")
    for prefix in ("+977", "00977", "977"):
        if text.startswith(prefix) and len(text) == len(prefix) + 10:
            text = text[len(prefix) :]
            break
    if not MOBILE.fullmatch(text):
        raise PermanentSmsError("Not a Nepali mobile number: an SMS cannot be sent to it.")
    return text


def masked(number: str) -> str:
    """For logs: enough to tell numbers apart, not enough to dial (98XXXXX567)."""
    return number[:2] + "X" * max(len(number) - 5, 0) + number[-3:]
