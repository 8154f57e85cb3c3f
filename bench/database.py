"""A fresh PostgreSQL database and Redis index for each run, migrated and seeded with the demo."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import redis
from psycopg import sql

from bench.environment import BenchEnvironment, Deadline, log

#: Counted after seeding; printed by ``manage.py shell`` as one JSON line.
_COUNT_DATA = """
import json
from django.contrib.auth import get_user_model
from clinicflow.accounts.models import Membership
from clinicflow.core.models import Clinic
print(json.dumps({
    "clinics": Clinic.objects.count(),
    "users": get_user_model().objects.count(),
    "memberships": Membership.objects.count(),
}))
"""


def recreate_database(bench: BenchEnvironment) -> str:
    """Drop and create the bench database; return the server's version."""
    with psycopg.connect(bench.admin_database_url, autocommit=True, connect_timeout=10) as conn:
        name = sql.Identifier(bench.database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else "unknown"


def flush_redis(bench: BenchEnvironment) -> str:
    """Empty the bench's Redis index (cache, cached sessions, channel layer); return the
    server's version."""
    client = redis.Redis.from_url(bench.redis_url, socket_timeout=10)
    try:
        client.flushdb()
        info: dict[str, Any] = client.info("server")  # type: ignore[assignment]
        return str(info.get("redis_version", "unknown"))
    finally:
        client.close()


def collectstatic(bench: BenchEnvironment, deadline: Deadline) -> None:
    """Production renders pages through the static files manifest: collect it into the bench's
    var directory."""
    bench.manage("collectstatic", "--no-input", "-v", "0", deadline=deadline)


def prepare(bench: BenchEnvironment, deadline: Deadline) -> dict[str, Any]:
    """Everything the server needs before it starts; returns versions and data counts."""
    log(f"recreating database {bench.database}")
    postgres = recreate_database(bench)
    redis_version = flush_redis(bench)
    log("migrating")
    bench.manage("migrate", "--no-input", "-v", "0", deadline=deadline)
    # Production serves static files through a manifest; pages cannot render without it.
    log("collecting static files")
    collectstatic(bench, deadline)
    log("seeding the demo")
    bench.manage("seed_demo", "--force", "--quiet-logins", deadline=deadline)
    output = bench.manage("shell", "-c", _COUNT_DATA, deadline=deadline, capture=True)
    data = json.loads(output.strip().splitlines()[-1])
    return {"postgres": postgres, "redis": redis_version, "data": data}
