"""Walk every audit chain; name the first broken event. Exit 1 if any chain is broken.

Events not yet sealed are checked against their own MAC and shown as pending; pending for
more than a minute means the sealer (the Celery worker, or beat's catch-up) is not running."""

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
                pending = f", {report.pending} pending" if report.pending else ""
                self.stdout.write(f"ok      {report.chain}: {report.events} events{pending}")
                if report.overdue:
                    self.stdout.write(
                        self.style.WARNING(
                            f"LATE    {report.chain}: {report.overdue} events unsealed for more"
                            " than a minute: is the Celery worker running?"
                        )
                    )
            else:
                self.stdout.write(self.style.ERROR(f"BROKEN  {report.first_break}"))
        if broken:
            raise CommandError(f"{len(broken)} of {len(reports)} audit chains are broken.")
        self.stdout.write(self.style.SUCCESS(f"All {len(reports)} audit chains verify."))
