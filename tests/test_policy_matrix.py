"""Walk every URL pattern and API route, for anonymous and for every role, and compare the
answer with the policy table. A route added without a policy entry fails here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clinicflow.core import policy
from clinicflow.core.access import PolicyPermission, is_api_view, view_action
from clinicflow.core.roles import Role
from tests.factories import member

#: Sample values for path converters, so every route can be reversed.
SAMPLES = {
    "uuid": uuid.UUID(int=7),
    "int": 7,
    "string": "sample",
    "slug": "sample",
    "path": "sample",
}


@dataclass(frozen=True)
class Route:
    name: str
    namespaces: tuple[str, ...]
    callback: Any
    kwargs: tuple[tuple[str, Any], ...]

    @property
    def post_only(self) -> bool:
        """An API action that only takes POST (``call-next``): asked with an empty body."""
        actions = getattr(self.callback, "actions", None) or {}
        return bool(actions) and "get" not in actions

    @property
    def url(self) -> str:
        return reverse(self.name, kwargs=dict(self.kwargs))

    @property
    def action(self) -> str | None:
        if is_api_view(self.callback):
            view = self.callback.cls()
            actions = getattr(self.callback, "actions", None) or {}
            view.action = actions.get("get") or next(iter(actions.values()), None)
            return PolicyPermission.action_of(view)

        class Match:
            namespaces = self.namespaces

        return view_action(self.callback, Match())  # type: ignore[arg-type]


def _walk(resolver: URLResolver, namespaces: tuple[str, ...] = ()) -> list[Route]:
    routes = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            routes.extend(_walk(entry, inner))
        elif isinstance(entry, URLPattern) and entry.name:
            converters = getattr(entry.pattern, "converters", {})
            if not converters and getattr(entry.pattern, "regex", None).groupindex:
                continue  # regex routes of the admin site: covered by the namespace rule
            kwargs = {
                key: SAMPLES[type(conv).__name__.replace("Converter", "").lower()]
                for key, conv in converters.items()
            }
            name = ":".join((*namespaces, entry.name))
            routes.append(Route(name, namespaces, entry.callback, tuple(sorted(kwargs.items()))))
    return routes


ALL_ROUTES = _walk(get_resolver())
# The admin site has dozens of routes sharing one rule; its index and one model page suffice.
ROUTES = [r for r in ALL_ROUTES if "admin" not in r.namespaces] + [
    r for r in ALL_ROUTES if r.name in ("admin:index", "admin:accounts_user_changelist")
]
ROLES = [None, *Role]


def test_every_route_names_a_known_policy_action():
    missing = {r.name: r.action for r in ALL_ROUTES if r.action not in policy.POLICY}
    assert not missing, f"Routes without a policy entry: {missing}"


def _unnamed(resolver: URLResolver, namespaces: tuple[str, ...] = ()) -> list[str]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _unnamed(entry, (*namespaces, entry.namespace or ""))
        elif not entry.name and "admin" not in namespaces:
            found.append(str(entry.pattern))
    return found


def test_every_route_has_a_name_so_the_walk_reaches_it():
    assert _unnamed(get_resolver()) == []


def test_every_websocket_route_asks_the_policy():
    from clinicflow.core.access import PolicyConsumer
    from config.routing import websocket_urlpatterns

    assert websocket_urlpatterns
    for route in websocket_urlpatterns:
        consumer = route.callback.consumer_class
        assert issubclass(consumer, PolicyConsumer), route
        assert consumer.policy_action in policy.POLICY, route


def test_the_walk_found_the_routes_we_know():
    names = {r.name for r in ROUTES}
    assert {"core:dashboard", "accounts:staff_list", "api:me", "core:audit_list"} <= names
    assert len(ROUTES) >= 25


def expected_allowed(action: str, role: Role | None) -> bool:
    rule = policy.rule_for(action)
    if rule.audience is policy.Audience.PUBLIC:
        return True
    if role is None:
        return False
    return rule.audience is policy.Audience.SIGNED_IN or role in rule.grants


def _refused(response: Any, *, anonymous: bool) -> bool:
    if response.status_code == 403:
        return True
    location = response.get("Location", "")
    return anonymous and response.status_code == 302 and "/accounts/login/" in location


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_each_route_answers_each_role_as_the_policy_says(role, clinic, sign_in, client):
    if role is not None:
        person = member(role, clinic, username=f"matrix_{role.value}")
        client = sign_in(person)
    mismatches = []
    for route in ROUTES:
        action = route.action
        assert action is not None
        if route.post_only:
            response = client.post(route.url, {}, content_type="application/json")
        else:
            response = client.get(route.url)
        allowed = expected_allowed(action, role)
        refused = _refused(response, anonymous=role is None)
        if allowed == refused:
            mismatches.append(f"{route.name} ({action}): {response.status_code}")
    assert not mismatches, f"{role}: " + "; ".join(mismatches)


@pytest.mark.django_db
@pytest.mark.urls("tests.urls_undeclared")
def test_a_view_that_names_no_action_is_refused_to_everyone(admin_user, sign_in):
    client = sign_in(admin_user)
    assert client.get("/undeclared/").status_code == 403
    assert client.get("/unknown-action/").status_code == 403


@pytest.mark.django_db
def test_a_refusal_is_audited(nurse, sign_in):
    from clinicflow.core.models import AuditAction, AuditEvent

    client = sign_in(nurse)
    assert client.get(reverse("core:audit_list")).status_code == 403
    event = AuditEvent.objects.all_clinics().filter(action=AuditAction.PERMISSION_DENIED).get()
    assert event.actor == nurse
    assert event.changes["action"] == "audit.view"


#: The rule book as a reviewer reads it: widening any grant must change this table too.
M, A = Role.MANAGER, Role.ADMIN
WORKFORCE = {r for r in Role if r is not Role.PATIENT}
GRANTS = {
    "api.docs": WORKFORCE,
    "clinic.settings": {M, A},
    "notifications.manage": {M, A},
    "notifications.log": {M, A},
    "notifications.patient_preferences": {Role.RECEPTIONIST, M, A},
    "staff.view": {M, A},
    "staff.manage": {M, A},
    "staff.manage_managers": {A},
    "audit.view": {M, A},
    "audit.export": {M, A},
    "platform.admin": {A},
    "patients.search": WORKFORCE,
    "patients.register": {Role.RECEPTIONIST, Role.NURSE, Role.DOCTOR, M, A},
    "patients.edit": {Role.RECEPTIONIST, Role.NURSE, Role.DOCTOR, M, A},
    "patients.chart": {Role.RECEPTIONIST, Role.NURSE, Role.DOCTOR, M, A},
    "patients.clinical_edit": {Role.NURSE, Role.DOCTOR},
    "patients.documents.view": {Role.RECEPTIONIST, Role.NURSE, Role.DOCTOR, M, A},
    "patients.documents.upload": {Role.RECEPTIONIST, Role.NURSE, Role.DOCTOR, M, A},
    "patients.deactivate": {M, A},
    "patients.merge": {M, A},
    "patients.export": {M, A},
    "scheduling.view": {Role.RECEPTIONIST, Role.NURSE, Role.DOCTOR, M, A},
    "appointments.book": {Role.RECEPTIONIST, Role.DOCTOR, M, A},
    "appointments.manage": {Role.RECEPTIONIST, Role.DOCTOR, Role.NURSE, M, A},
    "scheduling.availability": {Role.DOCTOR, M, A},
    "scheduling.manage": {M, A},
    "frontdesk.queue": {Role.RECEPTIONIST, Role.NURSE, Role.DOCTOR, M, A},
    "frontdesk.check_in": {Role.RECEPTIONIST, Role.NURSE, M, A},
    "frontdesk.register_walk_in": {Role.RECEPTIONIST, Role.NURSE, Role.DOCTOR, M, A},
    "frontdesk.manage": {Role.RECEPTIONIST, Role.NURSE, M, A},
    "frontdesk.see_patients": {Role.DOCTOR, M, A},
    "frontdesk.vitals": {Role.NURSE, Role.DOCTOR, M, A},
    "frontdesk.export": {Role.RECEPTIONIST, M, A},
    "frontdesk.waits": {Role.RECEPTIONIST, M, A},
    "frontdesk.setup": {M, A},
    "clinical.view": {Role.DOCTOR, Role.NURSE},
    "clinical.write": {Role.DOCTOR},
    "prescriptions.view": {Role.DOCTOR, Role.NURSE, Role.PHARMACIST},
    "pharmacy.queue": {Role.PHARMACIST, M, A},
    "pharmacy.catalogue.view": {Role.PHARMACIST, Role.DOCTOR, Role.NURSE, M, A},
    "pharmacy.catalogue.manage": {Role.PHARMACIST, M, A},
    "pharmacy.stock.view": {Role.PHARMACIST, M, A},
    "pharmacy.stock.manage": {Role.PHARMACIST, M, A},
    "pharmacy.dispense": {Role.PHARMACIST},
    "pharmacy.history": {Role.PHARMACIST, M, A},
    "pharmacy.reports": {Role.PHARMACIST, M, A},
    "lab.catalogue.view": {Role.DOCTOR, Role.NURSE, Role.LAB_TECHNICIAN, Role.RECEPTIONIST, M, A},
    "lab.catalogue.manage": {Role.LAB_TECHNICIAN, M, A},
    "lab.order": {Role.DOCTOR, Role.RECEPTIONIST, M, A},
    "lab.view": {Role.DOCTOR, Role.NURSE, Role.LAB_TECHNICIAN, M, A},
    "lab.collect": {Role.NURSE, Role.LAB_TECHNICIAN},
    "lab.work": {Role.LAB_TECHNICIAN},
    "lab.outside.attach": {Role.DOCTOR, Role.LAB_TECHNICIAN},
    "lab.alerts.acknowledge": {Role.DOCTOR, M, A},
    "lab.dashboard": {Role.LAB_TECHNICIAN, M, A},
    "billing.desk": {Role.CASHIER, Role.PHARMACIST, M, A},
    "billing.balances": {Role.CASHIER, Role.RECEPTIONIST, Role.PHARMACIST, M, A},
    "billing.charges.add": {Role.CASHIER, Role.RECEPTIONIST, M, A},
    "billing.charges.void": {Role.CASHIER, M, A},
    "billing.invoices.issue": {Role.CASHIER, Role.PHARMACIST, M, A},
    "billing.invoices.credit": {Role.CASHIER, M, A},
    "billing.discounts.approve": {M, A},
    "billing.payments.take": {Role.CASHIER, Role.PHARMACIST, M, A},
    "billing.refunds.request": {Role.CASHIER, M, A},
    "billing.refunds.approve": {M, A},
    "billing.shifts": {Role.CASHIER, Role.PHARMACIST, M, A},
    "billing.shifts.sign_off": {M, A},
    "billing.claims": {Role.CASHIER, M, A},
    "billing.prices.view": {Role.CASHIER, Role.RECEPTIONIST, Role.PHARMACIST, Role.DOCTOR, M, A},
    "billing.prices.manage": {M, A},
    "billing.reports": {M, A},
    "portal.family": {Role.PATIENT},
    "portal.link": {Role.PATIENT},
    "portal.add_member": {Role.PATIENT},
    "portal.records": {Role.PATIENT},
    "portal.documents.upload": {Role.PATIENT},
    "portal.bills": {Role.PATIENT},
    "portal.desk_link": {Role.RECEPTIONIST, M, A},
    "portal.book": {Role.PATIENT},
    "portal.appointments": {Role.PATIENT},
    "portal.queue": {Role.PATIENT},
    "portal.preferences": {Role.PATIENT},
    "portal.contact": {Role.PATIENT},
    "portal.medicines": {Role.PATIENT},
    "portal.reviews": {Role.PATIENT},
    "portal.booking_settings": {M, A},
    "portal.settings": {M, A},
    "reviews.moderate": {M, A},
}


def test_the_role_grants_are_exactly_the_reviewed_ones():
    actual = {
        action: set(rule.grants)
        for action, rule in policy.POLICY.items()
        if rule.audience is policy.Audience.ROLES
    }
    assert actual == GRANTS


def test_a_patient_may_not_reach_any_staff_action():
    reached = policy.actions_for_roles(frozenset({Role.PATIENT}))
    assert reached == {
        "portal.family",
        "portal.link",
        "portal.add_member",
        "portal.book",
        "portal.appointments",
        "portal.queue",
        "portal.preferences",
        "portal.contact",
        "portal.medicines",
        "portal.reviews",
        "portal.records",
        "portal.documents.upload",
        "portal.bills",
    }


def test_the_walk_reaches_the_lab_api():
    # The router's detail routes are regular expressions, which the walk leaves out; the lab's
    # tests ask them as each role (clinicflow/lab/tests/test_api.py).
    names = {r.name for r in ROUTES}
    lab = {"api:lab-test-list", "api:lab-order-list", "api:lab-order-status-list"}
    assert lab | {"api:lab-alert-list"} <= names
