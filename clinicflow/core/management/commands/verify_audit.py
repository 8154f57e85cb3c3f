"""Walk every audit chain; name the first broken event. Exit 1 if any chain is broken."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clinicflow.core.audit.chain import verify_chains


class Command(BaseCommand):
    help = "Verify the hash chains of the audit trail and name the first broken event."

    def handle(self, *args: Any, **options: Any) -> None:
        reports = verify_chains()
        broken = [r for r in reports if not r.ok]
        for report in reports:
            if report.ok:
                self.stdout.write(f"ok      {report.chain}: {report.events} events")
            else:
                self.stdout.write(self.style.ERROR(f"BROKEN  {report.first_break}"))
        if broken:
            raise CommandError(f"{len(broken)} of {len(reports)} audit chains are broken.")
        self.stdout.write(self.style.SUCCESS(f"All {len(reports)} audit chains verify."))
