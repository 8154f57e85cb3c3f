"""What the synthetic-data generators (demo and bench installations only) share: the refusal
to run on a real installation, and tidying a table after a bulk load."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import connection
from django.db.models import Model


def add_force_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="Run even though DEBUG is off (a throw-away demo or bench installation only).",
    )


def refuse_without_debug(options: dict[str, Any], what: str) -> None:
    """Generated rows bypass the audit trail (one summary event stands for them): never on a
    real installation unless forced."""
    if not settings.DEBUG and not options["force"]:
        raise CommandError(
            f"Refusing to generate synthetic {what} with DEBUG off: they bypass the audit "
            "trail. Use --force only on a throw-away demo or bench installation."
        )


def tidy_table(model: type[Model]) -> str:
    """Fresh planner statistics after a bulk load on PostgreSQL; outside a transaction VACUUM
    too (visibility map, hint bits, GIN pending lists: work the first queries would otherwise
    do, and autovacuum may be off). Returns a note for the command's summary line."""
    if connection.vendor != "postgresql":
        return ""
    table = connection.ops.quote_name(model._meta.db_table)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute(f"ANALYZE {table}")
            what = "ANALYZE"
        else:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
            what = "VACUUM ANALYZE"
    return f", {what} {time.perf_counter() - started:.1f} s"
