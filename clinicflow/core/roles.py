"""The roles a person can hold in a clinic (or, for ``admin``, across the platform)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Platform admin")
    MANAGER = "manager", _("Manager")
    DOCTOR = "doctor", _("Doctor")
    NURSE = "nurse", _("Nurse")
    RECEPTIONIST = "receptionist", _("Receptionist")
    PHARMACIST = "pharmacist", _("Pharmacist")
    LAB_TECHNICIAN = "lab_technician", _("Lab technician")
    CASHIER = "cashier", _("Cashier")
    PATIENT = "patient", _("Patient")


#: Roles held per clinic (everything but the platform-wide admin).
CLINIC_ROLES = frozenset(Role) - {Role.ADMIN}
#: People who work in a clinic; a manager creates and deactivates them.
STAFF_ROLES = CLINIC_ROLES - {Role.PATIENT}
#: Staff who care for patients directly.
CLINICAL_ROLES = frozenset({Role.DOCTOR, Role.NURSE})
#: Every role, for actions any member of the clinic may take.
ALL_ROLES = frozenset(Role)

#: The order in which a person's roles pick their home dashboard and are listed.
ROLE_PRECEDENCE = [
    Role.ADMIN,
    Role.MANAGER,
    Role.DOCTOR,
    Role.NURSE,
    Role.RECEPTIONIST,
    Role.PHARMACIST,
    Role.LAB_TECHNICIAN,
    Role.CASHIER,
    Role.PATIENT,
]


def primary_role(roles: frozenset[Role] | set[Role]) -> Role | None:
    for role in ROLE_PRECEDENCE:
        if role in roles:
            return role
    return None
