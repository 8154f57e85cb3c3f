"""Turning a signed-in user and their session into an :class:`Actor`: which clinic they are
working in now and which roles they hold there."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from clinicflow.accounts.models import Membership
from clinicflow.core.actor import Actor
from clinicflow.core.models import Clinic
from clinicflow.core.roles import Role

SESSION_CLINIC_KEY = "clinicflow_clinic_id"


def actor_for(user: Any, session: Any = None) -> Actor:
    """The actor for a user, in the clinic their session chose (or their first clinic)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor.anonymous()
    memberships = list(
        Membership.objects.filter(user=user, is_active=True)
        .filter(Q(clinic__isnull=True) | Q(clinic__is_active=True))
        .select_related("clinic")
    )
    is_admin = any(m.role == Role.ADMIN for m in memberships)
    # Spare the per-request query behind ``user.is_platform_admin`` (Django admin asks it).
    user.__dict__["is_platform_admin"] = is_admin and user.is_active

    if is_admin:
        clinics = tuple(Clinic.objects.filter(is_active=True).order_by("name"))
    else:
        seen: dict[Any, Clinic] = {}
        for m in memberships:
            if m.clinic is not None:
                seen.setdefault(m.clinic.pk, m.clinic)
        clinics = tuple(sorted(seen.values(), key=lambda c: c.name))

    chosen_id = session.get(SESSION_CLINIC_KEY) if session is not None else None
    clinic = next((c for c in clinics if str(c.pk) == str(chosen_id)), None)
    if clinic is None and clinics:
        clinic = clinics[0]

    roles = {Role(m.role) for m in memberships if clinic and m.clinic_id == clinic.pk}
    if is_admin:
        roles.add(Role.ADMIN)
    return Actor(
        user=user,
        clinic=clinic,
        roles=frozenset(roles),
        clinics=clinics,
        is_platform_admin=is_admin,
    )
