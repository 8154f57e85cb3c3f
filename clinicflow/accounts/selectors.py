"""Reads about people that several pages share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from clinicflow.accounts.models import Membership, StaffLimit, User, UserSession
from clinicflow.core.models import Clinic
from clinicflow.core.roles import ROLE_PRECEDENCE, STAFF_ROLES, Role


@dataclass(frozen=True)
class StaffOverview:
    total_active: int
    by_role: dict[Role, int]

    @property
    def summary(self) -> str:
        parts = [f"{role.label}: {count}" for role, count in self.by_role.items() if count]
        return " · ".join(parts)


def _active_counts(clinic: Clinic) -> dict[Role, int]:
    rows = (
        Membership.objects.filter(
            clinic=clinic, role__in=STAFF_ROLES, is_active=True, user__is_active=True
        )
        .values("role")
        .annotate(n=Count("user", distinct=True))
    )
    counts = {Role(row["role"]): row["n"] for row in rows}
    return {role: counts.get(role, 0) for role in ROLE_PRECEDENCE if role in STAFF_ROLES}


def staff_overview(clinic: Clinic) -> StaffOverview:
    """How many active people of each staff role the clinic has (two queries)."""
    total = (
        User.objects.filter(is_active=True)
        .filter(
            pk__in=Membership.objects.filter(
                clinic=clinic, role__in=STAFF_ROLES, is_active=True
            ).values("user")
        )
        .count()
    )
    return StaffOverview(total_active=total, by_role=_active_counts(clinic))


@dataclass(frozen=True)
class LimitRow:
    role: Role
    active: int
    limit: int | None

    @property
    def is_full(self) -> bool:
        return self.limit is not None and self.active >= self.limit


def staff_limits_overview(clinic: Clinic) -> list[LimitRow]:
    """Each staff role: how many are active and the clinic's limit, if any."""
    limits = {Role(row.role): row.max_active for row in StaffLimit.objects.for_clinic(clinic)}
    return [
        LimitRow(role=role, active=active, limit=limits.get(role))
        for role, active in _active_counts(clinic).items()
    ]


def staff_queryset(clinic: Clinic, base: QuerySet[Any]) -> QuerySet[Any]:
    """People holding (or having held) a staff role in the clinic, each with their roles there
    prefetched as ``clinic_memberships`` — a constant number of queries per page."""
    holders = Membership.objects.filter(clinic=clinic, role__in=STAFF_ROLES).values("user")
    active_here = Membership.objects.filter(
        user=OuterRef("pk"), clinic=clinic, role__in=STAFF_ROLES, is_active=True
    )
    return (
        base.filter(pk__in=holders)
        .annotate(active_here=Exists(active_here))
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(clinic=clinic).order_by("role"),
                to_attr="clinic_memberships",
            )
        )
    )


def search_staff(queryset: QuerySet[Any], text: str) -> QuerySet[Any]:
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(username__icontains=text)
        | Q(first_name__icontains=text)
        | Q(last_name__icontains=text)
        | Q(email__icontains=text)
        | Q(job_title__icontains=text)
    )


def live_sessions(user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-last_seen_at")


def holds_staff_role(user: User) -> bool:
    """Whether ``user`` works anywhere on the platform (any active role but a patient's)."""
    return Membership.objects.filter(user=user, is_active=True).exclude(role=Role.PATIENT).exists()
