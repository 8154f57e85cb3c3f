"""What each role sees first: a heading and the figures the clinic's domains provide.

Every card is a real figure from a registered provider; a domain adds its cards from its own
app (``register_card`` in its ``contributions``), naming the roles whose dashboard shows them.
A module that does not exist yet has no provider, so it has no card: nothing is promised.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clinicflow.accounts.selectors import staff_overview
from clinicflow.core.actor import Actor
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role


@dataclass(frozen=True)
class Card:
    title: str | Promise
    value: int | str
    note: str | Promise = ""
    url: str = ""
    icon: str = "bi-circle"
    key: str = ""  # the provider's key (see ``register_card``)
    #: A template drawn under the figure (a small chart), given ``detail`` as its context.
    include: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Dashboard:
    heading: str | Promise
    cards: list[Card] = field(default_factory=list)
    template: str = "core/dashboard.html"


CardProvider = Callable[[Actor], Card]


@dataclass(frozen=True)
class _Source:
    provider: CardProvider
    roles: frozenset[Role]
    order: int


_SOURCES: dict[str, _Source] = {}


def register_card(
    key: str, provider: CardProvider, *, roles: Collection[Role], order: int = 100
) -> None:
    """Show ``provider``'s card on the dashboards of ``roles`` (a person's dashboard is their
    primary role's), in ``order`` among the others. Registering a key again replaces it."""
    _SOURCES[key] = _Source(provider, frozenset(roles), order)


def cards_for(actor: Actor, role: Role) -> list[Card]:
    sources = sorted(
        ((key, s) for key, s in _SOURCES.items() if role in s.roles),
        key=lambda item: (item[1].order, item[0]),
    )
    return [source.provider(actor) for _key, source in sources]


_HEADINGS: dict[Role, str | Promise] = {
    Role.ADMIN: _("Platform overview"),
    Role.MANAGER: _("Clinic overview"),
    Role.DOCTOR: _("My day"),
    Role.NURSE: _("Nursing"),
    Role.RECEPTIONIST: _("Front desk"),
    Role.PHARMACIST: _("Pharmacy"),
    Role.LAB_TECHNICIAN: _("Laboratory"),
    Role.CASHIER: _("Cash desk"),
    Role.PATIENT: _("My health"),
}


#: A page of its own for a role's dashboard (the patient portal's home): its template and a
#: function of the request giving what it shows besides the cards.
HomeContext = Callable[[HttpRequest], dict[str, Any]]
_HOMES: dict[Role, tuple[str, HomeContext]] = {}


def register_home(role: Role, template: str, context: HomeContext) -> None:
    """Show ``role``'s dashboard with ``template``, given ``context(request)`` as well."""
    _HOMES[role] = (template, context)


def dashboard_for(actor: Actor) -> Dashboard:
    role = actor.primary_role
    if actor.clinic is None or role is None:
        return Dashboard(heading=_("Welcome"), template="core/dashboard_no_clinic.html")
    home = _HOMES.get(role)
    return Dashboard(
        heading=_HEADINGS[role],
        cards=cards_for(actor, role),
        template=home[0] if home else Dashboard.template,
    )


def home_context(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    """What a role's own dashboard page shows besides the cards (nothing for most)."""
    home = _HOMES.get(actor.primary_role) if actor.clinic is not None else None  # type: ignore[arg-type]
    return home[1](request) if home else {}


# ---------------------------------------------------------------- the clinic's running


def _since_yesterday(actor: Actor) -> QuerySet[AuditEvent]:
    assert actor.clinic is not None
    since = timezone.now() - timedelta(hours=24)
    return AuditEvent.objects.for_clinic(actor.clinic).filter(occurred_at__gte=since)


def active_staff(actor: Actor) -> Card:
    assert actor.clinic is not None
    overview = staff_overview(actor.clinic)
    return Card(
        title=_("Active staff"),
        value=overview.total_active,
        note=overview.summary,
        url=reverse("accounts:staff_list"),
        icon="bi-people",
        key="core.active_staff",
    )


def failed_sign_ins(actor: Actor) -> Card:
    failed = _since_yesterday(actor).filter(
        action__in=[AuditAction.LOGIN_FAILED, AuditAction.LOCKOUT]
    )
    return Card(
        title=_("Failed sign-ins, last 24 h"),
        value=failed.count(),
        note=_("Including lockouts."),
        url=reverse("core:audit_list") + "?action=login_failed",
        icon="bi-shield-exclamation",
        key="core.failed_sign_ins",
    )


def audit_events(actor: Actor) -> Card:
    return Card(
        title=_("Audit events, last 24 h"),
        value=_since_yesterday(actor).count(),
        url=reverse("core:audit_list"),
        icon="bi-journal-text",
        key="core.audit_events",
    )


MANAGEMENT = (Role.MANAGER, Role.ADMIN)
register_card("core.active_staff", active_staff, roles=MANAGEMENT, order=10)
register_card("core.failed_sign_ins", failed_sign_ins, roles=MANAGEMENT, order=20)
register_card("core.audit_events", audit_events, roles=MANAGEMENT, order=30)
