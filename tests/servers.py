"""Start the real programs (uvicorn, Celery) against the test database, for tests that check
they serve and work — not only that the code imports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def database_url() -> str:
    """The URL of the database this test run uses (the test database, not the default)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def environment(**extra: str) -> dict[str, str]:
    # Not the browser tests' lifted async guard either: a server keeps Django's own.
    dropped = ("DJANGO_ENV", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["DATABASE_URL"] = database_url()
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    return {**env, **extra}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(args: list[str], **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """The program's output goes to a file, not a pipe: nobody reads a pipe while the test
    runs, and a chatty program (the console SMS and e-mail backends print) would fill it and
    stall. ``output(process)`` reads what it printed."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            args, cwd=ROOT, env=environment(**env), stdout=log, stderr=subprocess.STDOUT
        )
        _logs[process.pid] = log
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            del _logs[process.pid]


_logs: dict[int, IO[bytes]] = {}


def output(process: subprocess.Popen[bytes]) -> str:
    """What a program started by ``running`` has printed so far."""
    log = _logs[process.pid]
    log.seek(0)
    return log.read().decode(errors="replace")


@contextmanager
def uvicorn() -> Iterator[str]:
    """uvicorn serving config.asgi on a free loopback port; yields its base URL."""
    port = free_port()
    args = [
        str(BIN / "uvicorn"),
        "config.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with running(args) as process:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {output(process)}")
            try:
                if httpx.get(f"{base}/health/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("uvicorn did not answer within 60 s")
        yield base
