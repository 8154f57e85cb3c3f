"""Turning a signed-in user and their session into an :class:`Actor`: which clinic they are
working in now and which roles they hold there."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from clinicflow.accounts.models import Membership
from clinicflow.core.actor import Actor
from clinicflow.core.models import Clinic
from clinicflow.core.roles import Role

SESSION_CLINIC_KEY = "clinicflow_clinic_id"


#: How long a session's access may be served from the cache: the bound for a change that
#: skips the model signals (a bulk ``update()`` or raw SQL); every ``save()`` or ``delete()`` of
#: a membership, a user or a clinic takes effect on the person's next request.
ACCESS_CACHE_SECONDS = 60
_CLINICS_VERSION_KEY = "access:clinics-version"


def _user_version_key(user_id: Any) -> str:
    return f"access:user-version:{user_id}"


def user_version_key(user_id: Any) -> str:
    """The cache key of the version of a person's account and memberships: a new version is
    set by :func:`access_changed`; whatever is cached about them counts only under it."""
    return _user_version_key(user_id)


def _session_key(session_key: str) -> str:
    return f"access:session:{session_key}"


@dataclass(frozen=True)
class _Access:
    """What a person may reach, as loaded from their memberships (cached per session)."""

    user_id: Any
    versions: tuple[Any, Any]
    is_admin: bool
    memberships: tuple[tuple[str, Any], ...]  # (role, clinic id or None)
    clinics: tuple[Clinic, ...]


def _load(user: Any) -> tuple[bool, tuple[tuple[str, Any], ...], tuple[Clinic, ...]]:
    memberships = list(
        Membership.objects.filter(user=user, is_active=True)
        .filter(Q(clinic__isnull=True) | Q(clinic__is_active=True))
        .select_related("clinic")
    )
    is_admin = any(m.role == Role.ADMIN for m in memberships)
    if is_admin:
        clinics = tuple(Clinic.objects.filter(is_active=True).order_by("name"))
    else:
        seen: dict[Any, Clinic] = {}
        for m in memberships:
            if m.clinic is not None:
                seen.setdefault(m.clinic.pk, m.clinic)
        clinics = tuple(sorted(seen.values(), key=lambda c: c.name))
    return is_admin, tuple((m.role, m.clinic_id) for m in memberships), clinics


def _new_version() -> str:
    return uuid.uuid4().hex


def _cached_access(user: Any, session_key: str) -> _Access:
    """The person's access from the cache, or loaded and cached. A cached entry counts only
    while the person's and the clinics' versions are the ones it was loaded under: a change
    sets a new version (at once and again after its commit), so a request that read the
    database before the commit cannot leave stale access behind."""
    user_key = _user_version_key(user.pk)
    found = cache.get_many([user_key, _CLINICS_VERSION_KEY, _session_key(session_key)])
    versions = (found.get(user_key), found.get(_CLINICS_VERSION_KEY))
    access = found.get(_session_key(session_key))
    if (
        isinstance(access, _Access)
        and None not in versions
        and access.versions == versions
        and access.user_id == user.pk
    ):
        return access
    if versions[0] is None:
        cache.add(user_key, _new_version(), timeout=None)
    if versions[1] is None:
        cache.add(_CLINICS_VERSION_KEY, _new_version(), timeout=None)
    if None in versions:
        found = cache.get_many([user_key, _CLINICS_VERSION_KEY])
        versions = (found.get(user_key), found.get(_CLINICS_VERSION_KEY))
    is_admin, memberships, clinics = _load(user)
    access = _Access(user.pk, versions, is_admin, memberships, clinics)
    if None not in versions:
        cache.set(_session_key(session_key), access, timeout=ACCESS_CACHE_SECONDS)
    return access


def access_changed(*, user_id: Any = None, clinics: bool = False) -> None:
    """A person's memberships (or account), or any clinic, changed: their cached access is
    dropped now and again when the change commits."""
    keys = ([_user_version_key(user_id)] if user_id is not None else []) + (
        [_CLINICS_VERSION_KEY] if clinics else []
    )

    def bump() -> None:
        cache.set_many({key: _new_version() for key in keys}, timeout=None)

    bump()
    transaction.on_commit(bump)


def actor_for(user: Any, session: Any = None) -> Actor:
    """The actor for a user, in the clinic their session chose (or their first clinic). With a
    session, the memberships come from the cache (see :func:`_cached_access`)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor.anonymous()
    session_key = getattr(session, "session_key", None) if session is not None else None
    if session_key:
        access = _cached_access(user, session_key)
        is_admin, memberships, clinics = access.is_admin, access.memberships, access.clinics
    else:
        is_admin, memberships, clinics = _load(user)
    # Spare the per-request query behind ``user.is_platform_admin`` (Django admin asks it).
    user.__dict__["is_platform_admin"] = is_admin and user.is_active

    chosen_id = session.get(SESSION_CLINIC_KEY) if session is not None else None
    clinic = next((c for c in clinics if str(c.pk) == str(chosen_id)), None)
    if clinic is None and clinics:
        clinic = clinics[0]

    roles = {Role(role) for role, clinic_id in memberships if clinic and clinic_id == clinic.pk}
    if is_admin:
        roles.add(Role.ADMIN)
    return Actor(
        user=user,
        clinic=clinic,
        roles=frozenset(roles),
        clinics=clinics,
        is_platform_admin=is_admin,
    )
