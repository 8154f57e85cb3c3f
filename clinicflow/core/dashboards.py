"""What each role sees first. Figures that later modules will supply are shown as such —
"arrives with scheduling" — never as made-up numbers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

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
    value: int | str | None = None  # None: not available yet
    note: str | Promise = ""
    url: str = ""
    icon: str = "bi-circle"
    key: str = ""  # which provider may fill it (see ``register_card``)


@dataclass(frozen=True)
class Dashboard:
    heading: str | Promise
    cards: list[Card] = field(default_factory=list)
    template: str = "core/dashboard.html"


def _coming(title: str | Promise, module: str | Promise, icon: str, key: str = "") -> Card:
    return Card(
        title=title,
        note=_("Arrives with the %(module)s module.") % {"module": module},
        icon=icon,
        key=key,
    )


#: A domain fills a dashboard card by key (``patients.registered_today``) with a provider
#: that returns the real card; until one is registered the placeholder says what is coming.
CardProvider = Callable[[Actor], Card]
_PROVIDERS: dict[str, CardProvider] = {}


def register_card(key: str, provider: CardProvider) -> None:
    _PROVIDERS[key] = provider


def _filled(actor: Actor, cards: list[Card]) -> list[Card]:
    return [_PROVIDERS[c.key](actor) if c.key in _PROVIDERS else c for c in cards]


#: The pharmacy's stock alerts, on the pharmacist's dashboard and the manager's overview.
_STOCK_ALERTS = [
    (_("Low stock"), "bi-box-seam", "pharmacy.low_stock"),
    (_("Expiring soon"), "bi-hourglass-split", "pharmacy.expiring_soon"),
    (_("Expired to write off"), "bi-trash", "pharmacy.expired"),
]
#: Cards the domains add to the manager's overview, shown once their provider is registered.
_MANAGEMENT_CONTRIBUTIONS = [key for _title, _icon, key in _STOCK_ALERTS]

_PLACEHOLDERS: dict[Role, list[Card]] = {
    Role.DOCTOR: [
        _coming(
            _("Patients waiting for me"), _("front desk"), "bi-people", "frontdesk.waiting_for_me"
        ),
        _coming(_("My appointments today"), _("scheduling"), "bi-calendar-check"),
        _coming(
            _("Notes to sign"), _("consultation"), "bi-journal-medical", "clinical.notes_to_sign"
        ),
    ],
    Role.NURSE: [
        _coming(
            _("Waiting for vitals"),
            _("front desk"),
            "bi-heart-pulse",
            "frontdesk.waiting_for_vitals",
        ),
        _coming(_("Patients in the clinic"), _("front desk"), "bi-people", "frontdesk.in_clinic"),
    ],
    Role.RECEPTIONIST: [
        _coming(_("Appointments today"), _("scheduling"), "bi-calendar-check"),
        _coming(_("In the queue"), _("front desk"), "bi-list-ol", "frontdesk.in_clinic"),
        _coming(
            _("Patients registered today"),
            _("patients"),
            "bi-person-plus",
            "patients.registered_today",
        ),
    ],
    Role.PHARMACIST: [
        _coming(
            _("Prescriptions to dispense"), _("pharmacy"), "bi-capsule", "pharmacy.to_dispense"
        ),
        *(_coming(title, _("pharmacy"), icon, key) for title, icon, key in _STOCK_ALERTS),
    ],
    Role.LAB_TECHNICIAN: [
        _coming(_("Samples to collect"), _("laboratory"), "bi-droplet"),
        _coming(_("Results to enter"), _("laboratory"), "bi-clipboard-data"),
    ],
    Role.CASHIER: [
        _coming(_("Open invoices"), _("billing"), "bi-receipt"),
        _coming(_("Takings today"), _("billing"), "bi-cash-stack"),
    ],
    Role.PATIENT: [
        _coming(_("My next appointment"), _("patient portal"), "bi-calendar-event"),
        _coming(_("My prescriptions"), _("patient portal"), "bi-capsule"),
        _coming(_("My lab results"), _("patient portal"), "bi-clipboard-data"),
    ],
}

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


def _management_cards(actor: Actor) -> list[Card]:
    assert actor.clinic is not None
    overview = staff_overview(actor.clinic)
    since = timezone.now() - timedelta(hours=24)
    events = AuditEvent.objects.for_clinic(actor.clinic).filter(occurred_at__gte=since)
    failed = events.filter(action__in=[AuditAction.LOGIN_FAILED, AuditAction.LOCKOUT]).count()
    cards = [
        Card(
            title=_("Active staff"),
            value=overview.total_active,
            note=overview.summary,
            url=reverse("accounts:staff_list"),
            icon="bi-people",
        ),
        Card(
            title=_("Failed sign-ins, last 24 h"),
            value=failed,
            note=_("Including lockouts."),
            url=reverse("core:audit_list") + "?action=login_failed",
            icon="bi-shield-exclamation",
        ),
        Card(
            title=_("Audit events, last 24 h"),
            value=events.count(),
            url=reverse("core:audit_list"),
            icon="bi-journal-text",
        ),
    ]
    contributed = [_PROVIDERS[k](actor) for k in _MANAGEMENT_CONTRIBUTIONS if k in _PROVIDERS]
    return [*cards, *contributed, _coming(_("Revenue today"), _("billing"), "bi-cash-stack")]


def dashboard_for(actor: Actor) -> Dashboard:
    role = actor.primary_role
    if actor.clinic is None or role is None:
        return Dashboard(heading=_("Welcome"), template="core/dashboard_no_clinic.html")
    if role in (Role.ADMIN, Role.MANAGER):
        return Dashboard(heading=_HEADINGS[role], cards=_management_cards(actor))
    return Dashboard(heading=_HEADINGS[role], cards=_filled(actor, _PLACEHOLDERS.get(role, [])))
