"""The demo: two clinics and a person for every role, with documented sign-ins.

For demonstrations only — every account shares one published password. Each domain's own
``demo.py`` fills a clinic through that domain's services, acting as the clinic's people named
here (``DemoClinic``), so every demo row has the audit events and history a real one has.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from clinicflow.accounts.actors import SESSION_CLINIC_KEY, actor_for
from clinicflow.accounts.models import StaffLimit, User
from clinicflow.accounts.services.provisioning import Person, provision_role, provision_user
from clinicflow.core.actor import Actor
from clinicflow.core.models import Clinic
from clinicflow.core.roles import Role
from clinicflow.core.services import create_clinic

DEMO_PASSWORD = "ClinicFlow-demo-2026"


@dataclass(frozen=True)
class DemoClinic:
    code: str
    name: str
    address: str
    phone: str
    limits: dict[Role, int]
    #: Who sets up each part of the clinic's demo, as they would at work (usernames): the
    #: manager (doctors' hours, rooms, the board), the front desk (patients, appointments),
    #: the nurse (allergies and problems), the pharmacist (catalogue and stock), the cashier
    #: (the cash desk's past weeks; none where the clinic has no cashier).
    manager: str
    receptionist: str
    nurse: str
    pharmacist: str
    cashier: str = ""


@dataclass(frozen=True)
class DemoAccount:
    person: Person
    roles: tuple[tuple[Role, str | None], ...]  # (role, clinic code or None for the platform)


CLINICS = [
    DemoClinic(
        code="KTM",
        name="Himalaya Family Clinic",
        address="Putalisadak, Kathmandu 44600, Nepal",
        phone="+977 1-4412345",
        limits={Role.DOCTOR: 8, Role.RECEPTIONIST: 4, Role.NURSE: 6, Role.MANAGER: 2},
        manager="manager",
        receptionist="reception",
        nurse="nurse",
        pharmacist="pharmacist",
        cashier="cashier",
    ),
    DemoClinic(
        code="PKR",
        name="Lakeside Health Centre",
        address="Lakeside Road, Pokhara 33700, Nepal",
        phone="+977 61-465432",
        limits={Role.DOCTOR: 4, Role.RECEPTIONIST: 2},
        manager="manager2",
        receptionist="reception2",
        nurse="nurse2",
        pharmacist="pharmacist2",
    ),
]


def _staff(
    username: str, first: str, last: str, title: str, *roles: tuple[Role, str | None]
) -> DemoAccount:
    email = f"{username}@demo.clinicflow.local"
    return DemoAccount(Person(username, first, last, email, title), roles)


ACCOUNTS = [
    _staff("admin", "Asha", "Admin", "Platform administrator", (Role.ADMIN, None)),
    _staff("manager", "Mina", "Shrestha", "Clinic manager", (Role.MANAGER, "KTM")),
    _staff(
        "doc001", "Ram", "Sharma", "General Physician", (Role.DOCTOR, "KTM"), (Role.DOCTOR, "PKR")
    ),
    _staff("doc002", "Sita", "Karki", "Cardiologist", (Role.DOCTOR, "KTM")),
    _staff("doc003", "Hari", "Thapa", "Pediatrician", (Role.DOCTOR, "KTM")),
    _staff("doc004", "Gita", "Gurung", "Orthopedic", (Role.DOCTOR, "KTM")),
    _staff("nurse", "Kamala", "Rai", "Staff nurse", (Role.NURSE, "KTM")),
    _staff("reception", "Bikash", "Magar", "Receptionist", (Role.RECEPTIONIST, "KTM")),
    _staff("pharmacist", "Sunita", "Joshi", "Pharmacist", (Role.PHARMACIST, "KTM")),
    _staff("labtech", "Dipak", "Adhikari", "Lab technician", (Role.LAB_TECHNICIAN, "KTM")),
    # A second pair of eyes: results are verified by someone other than who entered them.
    _staff("labtech2", "Srijana", "Basnet", "Lab technician", (Role.LAB_TECHNICIAN, "KTM")),
    _staff("cashier", "Anita", "Tamang", "Cashier", (Role.CASHIER, "KTM")),
    _staff("patient", "Priya", "Sharma", "", (Role.PATIENT, "KTM")),
    _staff("manager2", "Rajesh", "Poudel", "Clinic manager", (Role.MANAGER, "PKR")),
    _staff("reception2", "Laxmi", "Bhandari", "Receptionist", (Role.RECEPTIONIST, "PKR")),
    _staff("nurse2", "Sabina", "Pun", "Staff nurse", (Role.NURSE, "PKR")),
    _staff("pharmacist2", "Bimal", "Subedi", "Pharmacist", (Role.PHARMACIST, "PKR")),
]


def demo_actor(user: User, clinic: Clinic | None = None) -> Actor:
    """``user`` at work in ``clinic``, as if they had switched to it (their first clinic when
    none is named): the demo loaders act as a clinic's own people."""
    actor = actor_for(user, {SESSION_CLINIC_KEY: str(clinic.pk)} if clinic else None)
    if actor.clinic is None or (clinic is not None and actor.clinic != clinic):
        raise ValueError(
            f"{user.username} does not work at {clinic.code if clinic else 'a clinic'}"
        )
    return actor


@transaction.atomic
def load_demo(*, restore: bool = False) -> list[DemoAccount]:
    """Create the demo clinics and accounts (idempotent). With ``restore``, accounts that were
    changed while demonstrating are put back: password, roles, lockouts, second factors."""
    clinics: dict[str, Clinic] = {}
    for spec in CLINICS:
        clinic = Clinic.objects.filter(code=spec.code).first()
        if clinic is None:
            clinic = create_clinic(
                code=spec.code, name=spec.name, address=spec.address, phone=spec.phone
            )
        clinics[spec.code] = clinic
        for role, limit in spec.limits.items():
            StaffLimit.objects.for_clinic(clinic).get_or_create(
                clinic=clinic, role=role, defaults={"max_active": limit}
            )
    for account in ACCOUNTS:
        user = provision_user(account.person, password=DEMO_PASSWORD, restore=restore)
        for role, code in account.roles:
            provision_role(user, role, clinics[code] if code else None)
    return ACCOUNTS
