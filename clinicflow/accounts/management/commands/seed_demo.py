"""Load the demo clinics, their people and their day (idempotent), and print how to sign in."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from clinicflow.accounts.demo import CLINICS, DEMO_PASSWORD, DemoClinic, load_demo
from clinicflow.accounts.models import User
from clinicflow.billing.demo import load_demo_bills, load_demo_prices
from clinicflow.core.audit.context import audit_context
from clinicflow.core.models import Clinic
from clinicflow.frontdesk.demo import load_demo_desks
from clinicflow.frontdesk.models import BoardLink
from clinicflow.lab.demo import load_demo_lab_catalogue
from clinicflow.patients.demo import load_demo_patients
from clinicflow.pharmacy.demo import load_demo_catalogue, load_demo_stock
from clinicflow.portal.demo import load_demo_portal
from clinicflow.scheduling.demo import load_demo_appointments, load_demo_schedules

#: Where ``make run`` serves by default (and ``manage.py runserver`` too).
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def load_clinic_day(spec: DemoClinic) -> BoardLink:
    """One demo clinic's patients, doctors, rooms, pharmacy, cash desk and appointments, each
    set up by the clinic's own people through the domain's services; its waiting-room board
    link."""
    clinic = Clinic.objects.get(code=spec.code)
    manager, receptionist, nurse, pharmacist = (
        User.objects.get(username=name)
        for name in (spec.manager, spec.receptionist, spec.nurse, spec.pharmacist)
    )
    load_demo_patients(receptionist=receptionist, nurse=nurse, clinic=clinic)
    load_demo_schedules(manager=manager, clinic=clinic)
    board = load_demo_desks(manager=manager, clinic=clinic)
    load_demo_catalogue(pharmacist=pharmacist, clinic=clinic)
    load_demo_stock(pharmacist=pharmacist, clinic=clinic)
    load_demo_prices(manager=manager, clinic=clinic)
    load_demo_bills(
        manager=manager,
        receptionist=receptionist,
        cashier=User.objects.get(username=spec.cashier) if spec.cashier else None,
        clinic=clinic,
    )
    load_demo_lab_catalogue(manager=manager, clinic=clinic)
    load_demo_appointments(receptionist=receptionist, clinic=clinic)
    load_demo_portal(receptionist=receptionist, clinic=clinic)
    return board


class Command(BaseCommand):
    help = "Load the demo clinics and staff (safe to run again). Refuses without DEBUG."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even though DEBUG is off (never in real use).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Put demo accounts back as documented: password, roles, lockouts, 2FA.",
        )
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")
        parser.add_argument(
            "--base-url",
            default=DEFAULT_BASE_URL,
            help=f"Where the server answers, for the printed links (default {DEFAULT_BASE_URL}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to load demo accounts with DEBUG off: they share a published "
                "password. Use --force only on a throw-away installation."
            )
        # The demo day's messages go through the outbox as real ones would, but the console
        # gateway's printout of each would bury the sign-ins: the delivery log shows them.
        with audit_context(source="command:seed_demo"), redirect_stdout(io.StringIO()):
            accounts = load_demo(restore=options["reset"])
            boards = [(spec, load_clinic_day(spec)) for spec in CLINICS]
        self.stdout.write(self.style.SUCCESS("Demo clinics and staff are ready."))
        if options["quiet_logins"]:
            return
        self.stdout.write("")
        self.stdout.write(
            self.style.WARNING("DEMO ONLY: these accounts share a published password.")
        )
        self.stdout.write(f"Password for every account: {DEMO_PASSWORD}")
        for account in accounts:
            where = ", ".join(
                f"{role.label}{' @ ' + code if code else ''}" for role, code in account.roles
            )
            title = f" ({account.person.job_title})" if account.person.job_title else ""
            self.stdout.write(f"  {account.person.username:<12} {where}{title}")
        self.stdout.write("")
        base_url = options["base_url"].rstrip("/")
        for spec, board in boards:
            link = base_url + reverse("frontdesk:board", args=[board.token])
            self.stdout.write(f"Waiting-room token board of {spec.name} ({spec.code}): {link}")
