"""A clinic's settings rows of the portal (online booking, the portal's own): read with their
defaults, saved by a manager. One row per clinic; a clinic without one has the defaults."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import field_errors

S = TypeVar("S", bound=Model)


def settings_row(model: type[S], clinic: Any) -> S:
    """The clinic's row of ``model``, or an unsaved one with the defaults."""
    found: S | None = model.objects.for_clinic(clinic).first()  # type: ignore[attr-defined]
    return found or model(clinic=clinic)


@transaction.atomic
def save_settings(model: type[S], *, actor: Actor, action: str, values: dict[str, Any]) -> S:
    """The actor (allowed ``action``) sets the clinic's row of ``model`` to ``values``, checked
    by the model's validators. Errors: ``DomainError`` at the field."""
    clinic = policy.require(actor, action)
    current, _created = (
        model.objects.for_clinic(clinic)  # type: ignore[attr-defined]
        .select_for_update()
        .get_or_create(clinic=clinic)
    )
    for name, value in values.items():
        setattr(current, name, value)
    with field_errors():
        current.full_clean(exclude=["clinic"], validate_unique=False)
    current.save()
    return current
