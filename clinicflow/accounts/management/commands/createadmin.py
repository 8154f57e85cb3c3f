"""Create the first platform admin and, optionally, the first clinic with its manager.

    manage.py createadmin --username root --email root@example.org --password '...' \
        --clinic-code KTM --clinic-name "Himalaya Family Clinic" --manager mina

Without ``--password`` it asks on the terminal (twice).
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinicflow.accounts.models import User
from clinicflow.accounts.services.provisioning import Person, provision_role, provision_user
from clinicflow.core.audit.context import audit_context
from clinicflow.core.errors import DomainError
from clinicflow.core.models import Clinic
from clinicflow.core.roles import Role
from clinicflow.core.services import create_clinic


class Command(BaseCommand):
    help = "Create a platform admin and, optionally, a clinic and make the admin its manager."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="Platform")
        parser.add_argument("--last-name", default="Admin")
        parser.add_argument("--password", help="Asked for on the terminal when left out.")
        parser.add_argument("--clinic-code", help="Also create this clinic (e.g. KTM).")
        parser.add_argument("--clinic-name")
        parser.add_argument("--timezone", default=None)
        parser.add_argument("--currency", default=None)

    def _password(self, given: str | None) -> str:
        if given:
            return given
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return first

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.filter(username=options["username"].lower()).exists():
            raise CommandError(
                f"{options['username']} already exists; give the admin role in the platform "
                "admin site instead."
            )
        password = self._password(options["password"])
        person = Person(
            options["username"], options["first_name"], options["last_name"], options["email"]
        )
        try:
            with audit_context(source="command:createadmin"):
                user = provision_user(person, password=password)
                provision_role(user, Role.ADMIN)
                if options["clinic_code"]:
                    clinic = self._clinic(options)
                    provision_role(user, Role.MANAGER, clinic)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"Platform admin {user.username} is ready."))

    def _clinic(self, options: dict[str, Any]) -> Clinic:
        code = options["clinic_code"].strip().upper()
        existing = Clinic.objects.filter(code=code).first()
        if existing is not None:
            return existing
        if not options["clinic_name"]:
            raise CommandError("--clinic-name is needed to create a clinic.")
        extra = {k: options[k] for k in ("timezone", "currency") if options[k]}
        clinic = create_clinic(code=code, name=options["clinic_name"], **extra)
        self.stdout.write(f"Clinic {clinic} created.")
        return clinic
