"""The one mechanism that writes audit events for model writes, and the named-event API.

Row changes: every model inheriting :class:`~clinicflow.core.models.Audited` is recorded on save
(create, or each changed field old → new) and delete, by the signal receivers below, and on
bulk ``update()`` by :class:`AuditedQuerySet`. Services don't call anything for this.

Named events (sign-in, chart viewed, export, permission denied): services call :func:`record`.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save

from clinicflow.core.audit import chain
from clinicflow.core.audit.context import current_context
from clinicflow.core.models import AuditAction, Audited, AuditEvent

SECRET_MARK = "[secret]"


def jsonable(value: Any) -> Any:
    """A JSON value that reads back identically from SQLite and PostgreSQL (no floats)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID | float):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def _audited_fields(model: type[Audited]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in model.audit_exclude and not f.primary_key
    ]


def _shown(model: type[Audited], field: models.Field[Any, Any], value: Any) -> Any:
    if field.name in model.audit_secrets:
        return SECRET_MARK if value not in (None, "") else None
    return jsonable(value)


def _snapshot(instance: Audited) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def diff(instance: Audited, before: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Field name → [old, new] for every audited field that changed (all of them on create)."""
    model = type(instance)
    changes: dict[str, list[Any]] = {}
    for field in _audited_fields(model):
        new = getattr(instance, field.attname)
        if before is None:
            if new in (None, ""):
                continue
            changes[field.name] = [None, _shown(model, field, new)]
        elif field.attname in before and before[field.attname] != new:
            old = before[field.attname]
            changes[field.name] = [_shown(model, field, old), _shown(model, field, new)]
    return changes


_PLATFORM = object()


def _clinic_id_of(instance: models.Model) -> Any:
    """The clinic whose trail an object's events belong in; ``_PLATFORM`` for objects that
    belong to no single clinic (they never borrow the actor's current clinic)."""
    if hasattr(instance, "audit_clinic_id"):
        clinic_id = instance.audit_clinic_id
    else:
        clinic_id = getattr(instance, "clinic_id", None)
    return _PLATFORM if clinic_id is None else clinic_id


def record(
    action: str,
    *,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    clinic_id: Any = None,
    actor: Any = None,
    actor_label: str = "",
) -> AuditEvent:
    """Write one named event. Who, where from and which clinic come from the audit context
    unless given."""
    ctx = current_context()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
        if clinic_id is None:
            clinic_id = _clinic_id_of(obj)
    if clinic_id is None:
        clinic_id = ctx.resolve_clinic_id()
    elif clinic_id is _PLATFORM:
        clinic_id = None
    return chain.append(
        action=action,
        clinic_id=clinic_id,
        actor=actor if actor is not None else ctx.resolve_actor(),
        actor_label=actor_label,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        changes=jsonable(changes or {}),
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        request_id=ctx.request_id,
    )


def record_change(instance: Audited, action: str, changes: dict[str, Any]) -> None:
    if action == AuditAction.UPDATE and not changes:
        return
    record(action, obj=instance, changes=changes)


def _on_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not isinstance(instance, Audited) or kwargs.get("raw"):
        return
    before = None if kwargs.get("created") else getattr(instance, "_audit_snapshot", None)
    action = AuditAction.CREATE if kwargs.get("created") else AuditAction.UPDATE
    if before is None and action == AuditAction.UPDATE:
        # An instance built by hand and saved over an existing row: nothing to diff against.
        record_change(instance, action, {"fields": sorted(diff(instance, None))})
    else:
        record_change(instance, action, diff(instance, before))
    instance._audit_snapshot = _snapshot(instance)


def _on_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not isinstance(instance, Audited):
        return
    changes = {name: [value[1], None] for name, value in diff(instance, None).items()}
    record_change(instance, AuditAction.DELETE, changes)


def record_bulk_create(rows: Iterable[Audited]) -> None:
    """Record the creation of rows written together by ``bulk_create`` (which sends no
    ``post_save``), each as its own save would."""
    for obj in rows:
        record_change(obj, AuditAction.CREATE, diff(obj, None))
        obj._audit_snapshot = _snapshot(obj)


def record_bulk_update(model: type[Audited], before: list[Audited]) -> None:
    """Record the change of each row of a bulk update, given the rows as they were before."""
    old_by_pk = {obj.pk: _snapshot(obj) for obj in before}
    for obj in model._base_manager.filter(pk__in=list(old_by_pk)):
        record_change(obj, AuditAction.UPDATE, diff(obj, old_by_pk[obj.pk]))


def connect() -> None:
    post_save.connect(_on_save, dispatch_uid="clinicflow.audit.save")
    post_delete.connect(_on_delete, dispatch_uid="clinicflow.audit.delete")
