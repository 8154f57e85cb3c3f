"""Load the demo clinics and people (idempotent), and print how to sign in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinicflow.accounts.demo import DEMO_PASSWORD, load_demo
from clinicflow.accounts.models import User
from clinicflow.core.audit.context import audit_context
from clinicflow.frontdesk.demo import load_demo_desks
from clinicflow.patients.demo import load_demo_patients
from clinicflow.pharmacy.demo import load_demo_catalogue, load_demo_stock
from clinicflow.scheduling.demo import load_demo_schedules


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

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to load demo accounts with DEBUG off: they share a published "
                "password. Use --force only on a throw-away installation."
            )
        with audit_context(source="command:seed_demo"):
            accounts = load_demo(restore=options["reset"])
            load_demo_patients(
                receptionist=User.objects.get(username="reception"),
                nurse=User.objects.get(username="nurse"),
            )
            load_demo_schedules(manager=User.objects.get(username="manager"))
            board = load_demo_desks(manager=User.objects.get(username="manager"))
            load_demo_catalogue(pharmacist=User.objects.get(username="pharmacist"))
            load_demo_stock(pharmacist=User.objects.get(username="pharmacist"))
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
        self.stdout.write(f"Waiting-room token board: /frontdesk/board/{board.token}/")
