"""Where an audited change comes from: the request (who, from where) or an explicit context
(Celery tasks, management commands)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address; behind ``TRUSTED_PROXY_COUNT`` proxies, from X-Forwarded-For."""
    proxies = int(getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0)
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


@dataclass
class AuditContext:
    request: HttpRequest | None = None
    actor: Any = None  # a User, for work done outside a request on someone's behalf
    clinic_id: Any = None
    source: str = ""  # e.g. "task:core.heartbeat" or "command:seed_demo"
    request_id: str = ""

    def resolve_actor(self) -> Any:
        if self.actor is not None:
            return self.actor
        user = getattr(self.request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return user
        return None

    def resolve_clinic_id(self) -> Any:
        if self.clinic_id is not None:
            return self.clinic_id
        clinic = getattr(self.request, "clinic", None)
        return getattr(clinic, "pk", None)

    @property
    def ip(self) -> str | None:
        return client_ip(self.request) if self.request is not None else None

    @property
    def user_agent(self) -> str:
        if self.request is None:
            return self.source[:300]
        return str(self.request.META.get("HTTP_USER_AGENT", ""))[:300]


_current: ContextVar[AuditContext | None] = ContextVar("clinicflow_audit_context", default=None)


def current_context() -> AuditContext:
    return _current.get() or AuditContext()


@contextmanager
def audit_context(**values: Any) -> Iterator[AuditContext]:
    """Run a block with this audit context (``request=...`` in middleware, ``actor=...``,
    ``clinic_id=...``, ``source=...`` in tasks and commands)."""
    outer = _current.get()
    ctx = AuditContext(**values)
    if outer is not None:
        # Inner blocks refine the outer context; unset values fall back to it.
        ctx.request = ctx.request or outer.request
        ctx.actor = ctx.actor if ctx.actor is not None else outer.actor
        ctx.clinic_id = ctx.clinic_id if ctx.clinic_id is not None else outer.clinic_id
        ctx.source = ctx.source or outer.source
        ctx.request_id = ctx.request_id or outer.request_id
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
