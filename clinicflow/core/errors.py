"""Refusals a person can act on. Services raise them; views show the message at the form, the
API answers 400 or 409 with it, and neither ever turns one into a 500."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    default_code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or self.default_code


class Conflict(DomainError):
    """The request lost a race or collides with the current state (HTTP 409)."""

    status_code = 409
    default_code = "conflict"


class LimitReached(Conflict):
    default_code = "limit_reached"
