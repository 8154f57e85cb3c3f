"""The audit trail after a writing scenario: wait until no event is pending (written but not
yet sealed into its chain), then run ``manage.py verify_audit``. A broken chain is an error.

Which events are pending depends on the schema: with a nullable ``sealed_at`` or ``seq``
column on ``core_auditevent`` an event is pending while it is NULL; without one (every event
sealed as it is written) nothing ever is. The column is looked up in the database's own
catalogue, so the same bench runs before and after the sealer arrives."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import Any

import psycopg

from bench.environment import PYTHON, BenchEnvironment, Deadline

AUDIT_TABLE = "core_auditevent"
#: Columns that, when nullable, mark an event not sealed yet (NULL), in the order tried.
PENDING_COLUMNS = ("sealed_at", "seq")
SEAL_TIMEOUT_S = 30.0

_NULLABLE = """
SELECT column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = %s AND is_nullable = 'YES'
"""


def pending_column(nullable: set[str]) -> str | None:
    """The column that marks a pending event, among the table's nullable columns."""
    return next((name for name in PENDING_COLUMNS if name in nullable), None)


def pending_sql(column: str | None) -> str | None:
    if column is None:
        return None
    return f"SELECT count(*) FROM {AUDIT_TABLE} WHERE {column} IS NULL"


def counts(cursor: Any) -> tuple[int, int]:
    """(events, pending) through any DB-API cursor on PostgreSQL."""
    cursor.execute(_NULLABLE, (AUDIT_TABLE,))
    query = pending_sql(pending_column({row[0] for row in cursor.fetchall()}))
    pending = 0
    if query is not None:
        cursor.execute(query)
        pending = int(cursor.fetchone()[0])
    cursor.execute(f"SELECT count(*) FROM {AUDIT_TABLE}")
    return int(cursor.fetchone()[0]), pending


def wait_until_sealed(
    read: Callable[[], tuple[int, int]],
    timeout_s: float = SEAL_TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[int, int, float]:
    """Poll ``read`` (events, pending) until nothing is pending or the time is up; return the
    last reading and the seconds it took."""
    started = clock()
    events, pending = read()
    while pending and clock() - started < timeout_s:
        sleep(0.25)
        events, pending = read()
    return events, pending, clock() - started


def check(bench: BenchEnvironment, deadline: Deadline) -> dict[str, Any]:
    """The scenario's ``audit`` entry: ``ok`` only when nothing is left pending and
    ``verify_audit`` passes."""

    def read() -> tuple[int, int]:
        with psycopg.connect(bench.database_url, connect_timeout=10) as conn:
            return counts(conn.cursor())

    events, pending, seconds = wait_until_sealed(read, min(SEAL_TIMEOUT_S, deadline.remaining()))
    result = subprocess.run(
        [PYTHON, "manage.py", "verify_audit"],
        cwd=bench.app_root,
        env=bench.variables(),
        capture_output=True,
        text=True,
        timeout=min(deadline.remaining(), 300),
        check=False,
    )
    verified = result.returncode == 0
    outcome: dict[str, Any] = {
        "ok": verified and pending == 0,
        "verified": verified,
        "events": events,
        "pending": pending,
        "seconds_to_sealed": round(seconds, 2) if pending == 0 else None,
    }
    if not verified:
        lines = (result.stdout + result.stderr).strip().splitlines()
        outcome["detail"] = [line for line in lines if "BROKEN" in line][:5] or lines[-5:]
    return outcome
