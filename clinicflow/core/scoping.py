"""Scoping rows to a clinic, made hard to forget.

Every clinic-owned model uses :class:`ClinicScopedQuerySet`. Code asks for a clinic's rows with
``Model.objects.for_clinic(clinic)`` (views get this from ``policy.restrict``, through
``FilteredListView``, ``ScopedViewSetMixin`` and ``access_object``). While a request is being
handled, the *scope guard* is on: evaluating a query on a clinic-owned model that was never
scoped raises :class:`UnscopedQueryError`, so a
view that forgets the scope fails loudly in the first test that opens it instead of leaking
another clinic's rows. A query counts as scoped when it went through ``for_clinic`` or
``all_clinics`` (the explicit, greppable escape hatch), filters on the clinic itself, or comes
from a related manager of an object that was itself fetched in scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models.lookups import Lookup
from django.db.models.sql.where import AND

from clinicflow.core.audit.queryset import AuditedQuerySet

if TYPE_CHECKING:
    from clinicflow.core.models import Clinic

_guard_on: ContextVar[bool] = ContextVar("clinicflow_scope_guard", default=False)


class UnscopedQueryError(RuntimeError):
    """A clinic-owned model was queried without a clinic scope while handling a request."""


@contextmanager
def scope_guard(enabled: bool = True) -> Iterator[None]:
    token = _guard_on.set(enabled)
    try:
        yield
    finally:
        _guard_on.reset(token)


def _filters_on_clinic(query: Any) -> bool:
    where = query.where
    if where.connector != AND or where.negated:
        return False
    for child in where.children:
        if isinstance(child, Lookup) and getattr(child.lhs, "target", None) is not None:
            target = child.lhs.target
            if target.name == "clinic" and child.lookup_name in ("exact", "in"):
                return True
    return False


class ClinicScopedQuerySet(AuditedQuerySet):
    _scoped: bool = False

    def for_clinic(self, clinic: Clinic) -> Self:
        qs = self.filter(clinic=clinic)
        qs._scoped = True
        return qs

    def all_clinics(self) -> Self:
        """Every clinic's rows: for the platform admin, tasks and commands. Say why at the call."""
        qs = self.all()
        qs._scoped = True
        return qs

    def _clone(self) -> Self:
        clone = super()._clone()  # type: ignore[misc]  # private, so missing from the stubs
        clone._scoped = self._scoped
        return clone

    def _check_scope(self) -> None:
        if _guard_on.get() and not self._scoped and not _filters_on_clinic(self.query):
            raise UnscopedQueryError(
                f"{self.model.__name__} was queried without a clinic scope; use "
                f"{self.model.__name__}.objects.for_clinic(clinic) or policy.restrict()."
            )

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._check_scope()
        super()._fetch_all()

    def count(self) -> int:
        if self._result_cache is None:
            self._check_scope()
        return super().count()

    def exists(self) -> bool:
        if self._result_cache is None:
            self._check_scope()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._check_scope()
        return super().aggregate(*args, **kwargs)

    def iterator(self, chunk_size: int | None = None) -> Iterator[Any]:
        self._check_scope()
        return super().iterator(chunk_size=chunk_size)

    def update(self, **kwargs: Any) -> int:
        self._check_scope()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._check_scope()
        return super().delete()


class ClinicScopedManager(models.Manager.from_queryset(ClinicScopedQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> ClinicScopedQuerySet:
        qs: ClinicScopedQuerySet = super().get_queryset()
        # A related manager (``patient.allergies``) reaches rows through an object that was
        # itself fetched in scope.
        if hasattr(self, "instance") and hasattr(self, "core_filters"):
            qs._scoped = True
        return qs
