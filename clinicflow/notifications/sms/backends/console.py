"""The gateway of development and tests: prints each SMS and keeps it in ``ConsoleBackend.sent``
(as Django's locmem mail keeps ``mail.outbox``); nothing leaves the machine.

It checks the number as the real gateways do (a non-mobile number is a ``PermanentSmsError``)
and can be told to fail the next sends (``fail_next``), so the outbox's retries and final
failure can be tested without a network. Options: ``stream`` ("stdout", the default,
"stderr", or "" for none)."""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass
from typing import Any, ClassVar, TextIO

from clinicflow.notifications.sms.backends.base import SmsBackend, SmsError, SmsSent
from clinicflow.notifications.sms.numbers import national_mobile
from clinicflow.notifications.sms.segments import count_segments


@dataclass(frozen=True)
class ConsoleMessage:
    to: str
    text: str
    reference: str
    provider_id: str
    segments: int


class ConsoleBackend(SmsBackend):
    name = "console"

    sent: ClassVar[list[ConsoleMessage]] = []
    _failures: ClassVar[list[SmsError]] = []
    _ids = itertools.count(1)

    def __init__(self, *, stream: str = "stdout", **_other: Any) -> None:
        self.stream: TextIO | None = {"stdout": sys.stdout, "stderr": sys.stderr}.get(stream)

    @classmethod
    def reset(cls) -> None:
        cls.sent.clear()
        cls._failures.clear()

    @classmethod
    def fail_next(cls, *errors: SmsError) -> None:
        """The next sends raise these, in order, before anything is recorded."""
        cls._failures.extend(errors)

    def send(self, *, to: str, text: str, reference: str) -> SmsSent:
        number = national_mobile(to)
        if self._failures:
            raise self._failures.pop(0)
        provider_id = f"console-{next(self._ids)}"
        segments = count_segments(text).segments
        self.sent.append(ConsoleMessage(number, text, reference, provider_id, segments))
        if self.stream is not None:
            self.stream.write(
                f"--- SMS to {number} ({reference}, {segments} segment(s)) ---\n{text}\n---\n"
            )
            self.stream.flush()
        return SmsSent(provider_id=provider_id, cost=None, status="sent")
