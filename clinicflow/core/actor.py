"""Who is asking: the signed-in user, the clinic they are working in, and their roles there."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from clinicflow.core.roles import Role, primary_role

if TYPE_CHECKING:
    from clinicflow.core.models import Clinic


@dataclass(frozen=True)
class Actor:
    user: Any  # accounts.User or AnonymousUser
    clinic: Clinic | None = None
    roles: frozenset[Role] = frozenset()
    #: Clinics this person may switch to (for the navigation bar).
    clinics: tuple[Clinic, ...] = field(default=())
    is_platform_admin: bool = False

    @property
    def is_authenticated(self) -> bool:
        return bool(getattr(self.user, "is_authenticated", False))

    @property
    def primary_role(self) -> Role | None:
        return primary_role(self.roles)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @classmethod
    def anonymous(cls) -> Actor:
        from django.contrib.auth.models import AnonymousUser

        return cls(user=AnonymousUser())

    @classmethod
    def system(cls, clinic: Clinic | None = None) -> Actor:
        """The actor for Celery tasks and management commands: no user, no roles."""
        return cls(user=None, clinic=clinic)

    def __str__(self) -> str:
        who = getattr(self.user, "username", None) or "system"
        where = self.clinic.code if self.clinic else "-"
        return f"{who}@{where}"
