"""The API's sweep (issue 20): every route of the portal's API, found in the URL resolver (so a
route added later is swept too, or this fails until it says which row its id names), called
for every method it takes and those it does not, with another patient's ids: a stranger's
record at the same clinic, a record of another clinic, a family member no longer linked, and
the account's own record with a stranger's row. Each answer is a 404 (a 405 for a method the
route does not take) with none of the stranger's data, and nothing in the database changed.
Staff are refused every route (403)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.clinical.models import DoseRecord
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.patients.models import PatientDocument
from clinicflow.portal.models import PatientLink, Relationship
from clinicflow.portal.tests.conftest import link
from clinicflow.scheduling.models import Appointment, AppointmentStatus, VisitReview
from tests.factories import member as staff_member

pytestmark = pytest.mark.django_db

PREFIX = "/api/v1/portal/"
#: Methods a route might be asked with: those it takes, and writes it does not take.
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class ApiRoute:
    name: str
    takes: frozenset[str]  # the HTTP methods the route maps
    ids: tuple[str, ...]  # the names of its path's ids
    samples: tuple[tuple[str, Any], ...]  # an id of the right shape for each

    def url(self, **ids: Any) -> str:
        return reverse(f"api:{self.name}", kwargs=ids)


def _walk(resolver: URLResolver, namespaces: tuple[str, ...] = ()) -> list[ApiRoute]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            found += _walk(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name and namespaces == ("api",):
            converters = getattr(entry.pattern, "converters", {})
            actions = getattr(entry.callback, "actions", None) or {}
            view = getattr(entry.callback, "cls", None) or getattr(
                entry.callback, "view_class", None
            )
            takes = frozenset(actions) or frozenset(
                m for m in getattr(view, "http_method_names", ()) if hasattr(view, m)
            ) - {"options", "head"}
            samples = tuple(
                (key, uuid.UUID(int=7) if "UUID" in type(conv).__name__ else 7)
                for key, conv in converters.items()
            )
            found.append(ApiRoute(entry.name, takes, tuple(converters), samples))
    return found


def _portal_routes() -> list[ApiRoute]:
    routes = []
    for route in _walk(get_resolver()):
        try:
            url = route.url(**dict(route.samples))
        except Exception:  # an id of another shape: a portal route must be reachable by these
            url = ""
        if url.startswith(PREFIX) or route.name.startswith("portal-"):
            routes.append(route)
    return routes


ROUTES = _portal_routes()

#: Which of a stranger's rows each route's ``pk`` names.
ROW_OF = {
    "portal-doctor-slots": "doctor",
    "portal-appointment-cancel": "appointment",
    "portal-appointment-move": "appointment",
    "portal-lab-report": "order",
    "portal-document-content": "document",
    "portal-invoice": "invoice",
    "portal-review-write": "visit",
}


def test_the_sweep_finds_every_portal_route_and_knows_each_ones_ids():
    from clinicflow.portal.api import urlpatterns

    assert {r.name for r in ROUTES} == {p.name for p in urlpatterns}
    for route in ROUTES:
        assert set(route.ids) <= {"member", "pk"}, route
        if "pk" in route.ids:
            assert route.name in ROW_OF, f"{route.name}: say which row its id names"
        for method in route.takes - {"get"}:
            assert route.name in BODIES, f"{route.name}: give the sweep a body for {method}"


# ---------------------------------------------------------------- the people and rows


@dataclass(frozen=True)
class Sweep:
    stranger: Any  # a record at the same clinic, of another account
    elsewhere: Any  # a record of another clinic
    unlinked: Any  # a record the account looked after once
    rows: dict[str, Any]  # the stranger's rows, by ROW_OF's names
    secrets: tuple[str, ...]  # what of theirs must never appear in an answer
    item: Any  # the stranger's medicine, named in a dose's body


@pytest.fixture
def sweep(family, priya_day, stranger_day, register, other_clinic_manager, other_clinic_doctor):
    from clinicflow.scheduling.services import apply_preset, create_practitioner

    clinic = stranger_day.patient.clinic
    stranger = stranger_day.patient
    elsewhere = register(
        given_name="Sita",
        family_name="Gurung",
        birth_date=date(1970, 1, 2),
        phone="+9779860000001",
        actor_user=other_clinic_manager,
    )
    unlinked = register(
        given_name="Kiran", family_name="Thapa", birth_date=date(2001, 5, 6), phone="+9779860000002"
    )
    once = link(family, unlinked, Relationship.SIBLING)
    PatientLink.objects.for_clinic(clinic).filter(pk=once.pk).update(removed_at=timezone.now())
    manager = actor_for(other_clinic_manager)
    far_doctor = create_practitioner(
        actor=manager, user=other_clinic_doctor, specialization="GP", details={}
    )
    apply_preset(actor=manager, practitioner=far_doctor, preset="full_day", weekdays=[0, 1, 2])
    appointments = Appointment.objects.for_clinic(clinic).filter(patient=stranger)
    visit = appointments.get()
    completed = appointments.filter(pk=visit.pk)
    completed.update(status=AppointmentStatus.COMPLETED)  # a visit one could review
    return Sweep(
        stranger=stranger,
        elsewhere=elsewhere,
        unlinked=unlinked,
        rows={
            "doctor": far_doctor,
            "appointment": visit,
            "visit": visit,
            "order": stranger_day.order,
            "document": stranger_day.document,
            "invoice": stranger_day.invoice,
        },
        secrets=(
            *(p.full_name for p in (stranger, elsewhere, unlinked)),
            *(p.mrn for p in (stranger, elsewhere, unlinked)),
            stranger_day.document.title,
        ),
        item=stranger_day.prescription.items.get(),
    )


def _next_week_at(clinic: Any, hour: int) -> str:
    day = timezone.localdate() + timedelta(days=8)
    return datetime.combine(day, time(hour), tzinfo=clinic.zone).isoformat()


#: A body each write would take, were the ids the caller's own.
BODIES: dict[str, Any] = {
    "portal-appointments": lambda day: {
        "practitioner": day["gp"].pk,
        "starts_at": _next_week_at(day["clinic"], 9),
        "reason": "Sweep",
    },
    "portal-appointment-cancel": lambda day: {"reason": "Sweep"},
    "portal-appointment-move": lambda day: {"starts_at": _next_week_at(day["clinic"], 15)},
    "portal-medicine-doses": lambda day: {
        "item": day["item"].pk,
        "day": timezone.localdate().isoformat(),
        "time": "08:00",
        "outcome": "taken",
    },
    "portal-review-write": lambda day: {"doctor_rating": 5, "clinic_rating": 5, "comment": "x"},
}


def _state(clinic: Any, family: Any, stranger: Any) -> dict[str, Any]:
    """What a call could change: every writable row, and the reads recorded as the family's."""
    return {
        "appointments": sorted(
            Appointment.objects.all_clinics().values_list("pk", "status", "starts_at")
        ),
        "doses": DoseRecord.objects.all_clinics().count(),
        "reviews": VisitReview.objects.all_clinics().count(),
        "documents": PatientDocument.objects.all_clinics().count(),
        "links": sorted(PatientLink.objects.all_clinics().values_list("pk", "removed_at")),
        "reads of the stranger": AuditEvent.objects.all_clinics()
        .filter(action=AuditAction.VIEW, actor=family, changes__icontains=str(stranger.pk))
        .count(),
    }


def _call(client: Any, method: str, url: str, body: Any) -> Any:
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, body or {}, content_type="application/json")


def _says_nothing_of(answer: Any, secrets: tuple[str, ...]) -> None:
    text = answer.content.decode(errors="replace") if answer.content else ""
    for secret in secrets:
        assert secret not in text, secret


# ---------------------------------------------------------------- the sweep


def test_another_patients_ids_are_not_found_on_every_route_and_method(
    family, priya_day, sweep, gp, sign_in
):
    client = sign_in(family)
    clinic = priya_day.patient.clinic
    context = {"gp": gp, "clinic": clinic, "item": sweep.item}
    before = _state(clinic, family, sweep.stranger)
    others = {
        "a stranger": sweep.stranger,
        "another clinic's record": sweep.elsewhere,
        "a family member no longer linked": sweep.unlinked,
    }
    checked = 0
    for route in ROUTES:
        if "member" not in route.ids:
            continue
        for method in METHODS:
            body = BODIES[route.name](context) if route.name in BODIES else None
            expected = 404 if method in route.takes else 405
            for who, patient in others.items():
                ids: dict[str, Any] = {"member": patient.pk}
                if "pk" in route.ids:
                    ids["pk"] = sweep.rows[ROW_OF[route.name]].pk
                answer = _call(client, method, route.url(**ids), body)
                assert answer.status_code == expected, (route.name, method, who, answer.content)
                _says_nothing_of(answer, sweep.secrets)
                checked += 1
            if "pk" in route.ids and method in route.takes:
                # The account's own record, with a stranger's row.
                ids = {"member": priya_day.patient.pk, "pk": sweep.rows[ROW_OF[route.name]].pk}
                answer = _call(client, method, route.url(**ids), body)
                assert answer.status_code == 404, (route.name, method, "own member", answer)
                _says_nothing_of(answer, sweep.secrets)
                checked += 1
    assert checked > 100
    assert _state(clinic, family, sweep.stranger) == before


def test_routes_without_a_member_show_nothing_of_anyone_else(family, priya_day, sweep, sign_in):
    client = sign_in(family)
    before = _state(priya_day.patient.clinic, family, sweep.stranger)
    for route in ROUTES:
        if "member" in route.ids:
            continue
        ids = {"pk": sweep.rows[ROW_OF[route.name]].pk} if "pk" in route.ids else {}
        answer = client.get(route.url(**ids))
        # Another clinic's doctor is not found; the account and the doctors list are its own.
        assert answer.status_code == (404 if ids else 200), route.name
        _says_nothing_of(answer, sweep.secrets)
    assert _state(priya_day.patient.clinic, family, sweep.stranger) == before


@pytest.mark.parametrize(
    "role", [Role.RECEPTIONIST, Role.DOCTOR, Role.NURSE, Role.CASHIER, Role.MANAGER]
)
def test_staff_are_refused_every_portal_route(role, clinic, family, priya_day, gp, sign_in):
    client = sign_in(staff_member(role, clinic, username=f"sweep_{role.value}"))
    priya = priya_day.patient
    rows = {
        "doctor": gp,
        "appointment": Appointment.objects.for_clinic(clinic).filter(patient=priya).first(),
        "visit": Appointment.objects.for_clinic(clinic).filter(patient=priya).first(),
        "order": priya_day.order,
        "document": priya_day.document,
        "invoice": priya_day.invoice,
    }
    context = {"gp": gp, "clinic": clinic, "item": priya_day.prescription.items.get()}
    before = _state(clinic, family, priya)
    for route in ROUTES:
        ids: dict[str, Any] = {"member": priya.pk} if "member" in route.ids else {}
        if "pk" in route.ids:
            ids["pk"] = rows[ROW_OF[route.name]].pk
        for method in route.takes:
            body = BODIES[route.name](context) if route.name in BODIES else None
            answer = _call(client, method, route.url(**ids), body)
            assert answer.status_code == 403, (route.name, method, answer.status_code)
            _says_nothing_of(answer, (priya.full_name, priya.mrn))
    assert _state(clinic, family, priya) == before


def test_anonymous_callers_are_refused_every_portal_route(client, priya_day, gp):
    for route in ROUTES:
        ids = {**dict(route.samples), "member": priya_day.patient.pk}
        ids = {key: value for key, value in ids.items() if key in route.ids}
        for method in route.takes:
            answer = _call(client, method, route.url(**ids), None)
            assert answer.status_code == 403, (route.name, method)
