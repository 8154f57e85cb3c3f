"""Abstract bases shared by every app's models."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from clinicflow.core.scoping import ClinicScopedManager


class Audited(models.Model):
    """Every write of a model with this base lands in the audit trail (create, each changed
    field old → new, delete), by the one mechanism in ``clinicflow.core.audit.recorder``.

    ``audit_exclude`` lists fields not worth recording (bookkeeping); ``audit_secrets`` lists
    fields whose change is recorded without its value.
    """

    is_audited: ClassVar[bool] = True
    #: The row as it was loaded, to diff against on save.
    _audit_snapshot: dict[str, Any]
    audit_exclude: ClassVar[tuple[str, ...]] = ()
    audit_secrets: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Any:
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._audit_snapshot = dict(zip(field_names, values, strict=True))
        return instance


class ClinicOwned(models.Model):
    """A row that belongs to one clinic and is only ever reached from that clinic."""

    clinic = models.ForeignKey("core.Clinic", on_delete=models.PROTECT)

    objects = ClinicScopedManager()

    class Meta:
        abstract = True
