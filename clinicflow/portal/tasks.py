"""The portal's background work: sending a link code once the request asking for it has
answered (so that right and wrong details take the same time and path)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from clinicflow.core.audit.context import audit_context


@shared_task(name="portal.send_link_code")
def send_link_code(code_id: Any) -> bool:
    from clinicflow.portal import services

    with audit_context(source="task:portal.send_link_code"):
        return services.send_link_code(code_id)


@shared_task(name="portal.forget_expired_codes")
def forget_expired_codes() -> int:
    from clinicflow.portal import codes

    with audit_context(source="task:portal.forget_expired_codes"):
        return codes.forget_expired()
