"""Generate a clinic's staff for the mixed-writers bench: demo and benchmark data only.

    manage.py generate_staff --clinic KTM --per-role 20 [--prefix mx] --force

``--per-role`` accounts of each working role, named ``<prefix><role><NN>``
(``mxreception01``, ``mxnurse01``, ``mxdoctor01``, ``mxpharmacist01`` …), members of the
clinic in that role, signing in with the demo's published password (hashed once for all).
Each doctor gets a practitioner profile (15-minute slots) and working hours every day of the
week, 07:00–21:00, so that their grid is free to book. Accounts that exist are kept (and
their membership made active again). Rows are bulk-written, bypassing the per-row audit trail
(one summary audit event instead): refuses to run with DEBUG off unless given ``--force``.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from clinicflow.accounts.demo import DEMO_PASSWORD
from clinicflow.accounts.models import Membership, User
from clinicflow.core.audit.context import audit_context
from clinicflow.core.audit.recorder import record
from clinicflow.core.bulkdata import add_force_argument, refuse_without_debug
from clinicflow.core.models import AuditAction, Clinic
from clinicflow.core.roles import Role
from clinicflow.scheduling.models import AvailabilityRule, Practitioner, Specialization

#: The roles of the mixed writers and the word in their usernames.
STAFF_ROLES: dict[Role, str] = {
    Role.RECEPTIONIST: "reception",
    Role.NURSE: "nurse",
    Role.DOCTOR: "doctor",
    Role.PHARMACIST: "pharmacist",
}
DEFAULT_PREFIX = "mx"
WORKING_HOURS = (time(7, 0), time(21, 0))
SLOT_MINUTES = 15


def staff_username(prefix: str, role: Role, number: int) -> str:
    return f"{prefix}{STAFF_ROLES[role]}{number:02d}"


def staff_usernames(prefix: str, role: Role, count: int) -> list[str]:
    return [staff_username(prefix, role, n) for n in range(1, count + 1)]


def _accounts(clinic: Clinic, role: Role, names: list[str], password: str) -> list[User]:
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    label = role.label
    User.objects.bulk_create(
        [
            User(
                username=name,
                first_name="Bench",
                last_name=f"{label} {name[-2:]}",
                job_title=str(label),
                password=password,
            )
            for name in names
            if name not in existing
        ]
    )
    users = list(User.objects.filter(username__in=names).order_by("username"))
    memberships = Membership.objects.filter(clinic=clinic, role=role, user__in=users)
    member = set(memberships.values_list("user_id", flat=True))
    Membership.objects.bulk_create(
        [Membership(user=u, clinic=clinic, role=role) for u in users if u.pk not in member]
    )
    memberships.filter(is_active=False).update(is_active=True)
    return users


def _doctors(clinic: Clinic, users: list[User]) -> list[Practitioner]:
    """A practitioner profile and a full week of working hours for each doctor without one."""
    specialization = Specialization.objects.for_clinic(clinic).order_by("pk").first()
    if specialization is None:
        specialization = Specialization.objects.create(clinic=clinic, name="General practice")
    have = set(
        Practitioner.objects.for_clinic(clinic)
        .filter(user__in=users)
        .values_list("user_id", flat=True)
    )
    made = Practitioner.objects.bulk_create(
        [
            Practitioner(
                clinic=clinic,
                user=u,
                specialization=specialization,
                slot_minutes=SLOT_MINUTES,
                department="Bench",
            )
            for u in users
            if u.pk not in have
        ]
    )
    start, end = WORKING_HOURS
    AvailabilityRule.objects.bulk_create(
        [
            AvailabilityRule(
                clinic=clinic, practitioner=p, weekday=day, start_time=start, end_time=end
            )
            for p in made
            for day in range(7)
        ]
    )
    return list(
        Practitioner.objects.for_clinic(clinic).filter(user__in=users).order_by("user__username")
    )


class Command(BaseCommand):
    help = (
        "Generate receptionists, nurses, doctors (with a free week of working hours) and "
        "pharmacists in one clinic for the mixed-writers bench, with the demo password; "
        "bulk-written, one summary audit event. Refuses without DEBUG unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's code, e.g. KTM.")
        parser.add_argument("--per-role", type=int, default=20, help="Accounts of each role.")
        parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="Start of the usernames.")
        add_force_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_without_debug(options, "staff")
        count: int = options["per_role"]
        if not 1 <= count <= 99:
            raise CommandError("--per-role must be between 1 and 99.")
        clinic = Clinic.objects.filter(code=options["clinic"].upper()).first()
        if clinic is None:
            raise CommandError(f"No clinic with the code {options['clinic']!r}.")
        with audit_context(source="command:generate_staff", clinic_id=clinic.pk):
            made = self._generate(clinic, options["prefix"], count)
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated staff in {clinic.code}: "
                + ", ".join(f"{n} {role}" for role, n in made.items())
                + "."
            )
        )

    @transaction.atomic
    def _generate(self, clinic: Clinic, prefix: str, count: int) -> dict[str, int]:
        password = make_password(DEMO_PASSWORD)
        made: dict[str, int] = {}
        for role in STAFF_ROLES:
            users = _accounts(clinic, role, staff_usernames(prefix, role, count), password)
            if role == Role.DOCTOR:
                _doctors(clinic, users)
            made[str(role)] = len(users)
        record(
            AuditAction.CREATE,
            object_type="accounts.user",
            object_repr=f"{sum(made.values())} generated staff accounts",
            clinic_id=clinic.pk,
            changes=made,
        )
        return made
