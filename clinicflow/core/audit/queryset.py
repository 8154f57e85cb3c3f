"""Bulk updates that audit like saves do. Kept free of model imports: the model bases use it."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction


class AuditedQuerySet(models.QuerySet[Any]):
    """``update()`` on an audited model records each row's change, as ``save()`` would."""

    def update(self, **kwargs: Any) -> int:
        if not getattr(self.model, "is_audited", False):
            return super().update(**kwargs)
        from clinicflow.core.audit.recorder import record_bulk_update

        with transaction.atomic():
            before: list[Any] = list(self.order_by().select_for_update(of=("self",)))
            count = super().update(**kwargs)
            record_bulk_update(self.model, before)
        return count


AuditedManager = models.Manager.from_queryset(AuditedQuerySet)
