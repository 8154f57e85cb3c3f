"""The demo: two clinics and a person for every role, with documented sign-ins.

For demonstrations only — every account shares one published password.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from clinicflow.accounts.models import StaffLimit
from clinicflow.accounts.services.provisioning import Person, provision_role, provision_user
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
    ),
    DemoClinic(
        code="PKR",
        name="Lakeside Health Centre",
        address="Lakeside Road, Pokhara 33700, Nepal",
        phone="+977 61-465432",
        limits={Role.DOCTOR: 4, Role.RECEPTIONIST: 2},
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
    _staff("cashier", "Anita", "Tamang", "Cashier", (Role.CASHIER, "KTM")),
    _staff("patient", "Priya", "Sharma", "", (Role.PATIENT, "KTM")),
    _staff("manager2", "Rajesh", "Poudel", "Clinic manager", (Role.MANAGER, "PKR")),
    _staff("reception2", "Laxmi", "Bhandari", "Receptionist", (Role.RECEPTIONIST, "PKR")),
]


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
