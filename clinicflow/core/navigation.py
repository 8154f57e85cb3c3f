"""The navigation bar: each entry names the policy action behind it, so a person only ever
sees links they may follow."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clinicflow.core import policy
from clinicflow.core.actor import Actor


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    action: str
    icon: str

    @property
    def url(self) -> str:
        return reverse(self.url_name)


NAVIGATION = [
    NavItem(_("Dashboard"), "core:dashboard", "dashboard.view", "bi-speedometer2"),
    NavItem(_("Patients"), "patients:search", "patients.search", "bi-person-vcard"),
    NavItem(_("Queue"), "frontdesk:queue", "frontdesk.queue", "bi-list-ol"),
    NavItem(_("Appointments"), "scheduling:appointments", "scheduling.view", "bi-calendar-week"),
    NavItem(_("Today"), "scheduling:doctor_day", "scheduling.view", "bi-clock-history"),
    NavItem(_("Pharmacy"), "pharmacy:queue", "pharmacy.queue", "bi-capsule"),
    NavItem(_("Stock"), "pharmacy:stock", "pharmacy.stock.view", "bi-box-seam"),
    NavItem(_("Reports"), "pharmacy:reports", "pharmacy.reports", "bi-graph-up"),
    NavItem(_("Doctors"), "scheduling:practitioners", "scheduling.manage", "bi-heart-pulse"),
    NavItem(_("Staff"), "accounts:staff_list", "staff.view", "bi-people"),
    NavItem(_("Audit trail"), "core:audit_list", "audit.view", "bi-journal-text"),
    NavItem(_("Clinic settings"), "core:clinic_settings", "clinic.settings", "bi-gear"),
    NavItem(_("API"), "api:docs", "api.docs", "bi-braces"),
    NavItem(_("Platform admin"), "admin:index", "platform.admin", "bi-building-gear"),
]


def navigation_for(actor: Actor) -> list[NavItem]:
    if not actor.is_authenticated:
        return []
    return [item for item in NAVIGATION if policy.allows(actor, item.action)]
