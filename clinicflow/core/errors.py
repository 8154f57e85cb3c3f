"""Refusals a person can act on. Services raise them; views show the message at the form, the
API answers 400 or 409 with it, and neither ever turns one into a 500."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError


class DomainError(Exception):
    status_code = 400
    default_code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or self.default_code

    @property
    def payload(self) -> dict[str, object]:
        """More for an API client than the message (e.g. the records a duplicate matched)."""
        return {}


class Conflict(DomainError):
    """The request lost a race or collides with the current state (HTTP 409)."""

    status_code = 409
    default_code = "conflict"


class LimitReached(Conflict):
    default_code = "limit_reached"


class NeedsConfirmation(Conflict):
    """Allowed, but unusual enough that the person must say they mean it (checking in an
    appointment of another day). The page asks the question and sends the form again with
    ``confirm``; the API answers 409 with this code, and the client sends the same request
    again with ``"confirm": true``."""

    default_code = "needs_confirmation"

    @property
    def payload(self) -> dict[str, object]:
        return {"resend_with": {"confirm": True}}


@contextmanager
def field_errors(field: str | None = None) -> Iterator[None]:
    """Turn Django's ``ValidationError`` (from ``full_clean`` or a validator) into a
    ``DomainError`` naming the first field at fault (or ``field``, for a lone validator)."""
    try:
        yield
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            field, messages = next(iter(exc.message_dict.items()))
        else:
            messages = exc.messages
        raise DomainError(" ".join(messages), field=field) from exc
