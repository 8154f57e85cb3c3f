"""The programs a deployment runs: uvicorn serves pages and WebSockets; a Celery worker runs
tasks and beat schedules them."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import websockets
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache

from clinicflow.core.tasks import HEARTBEAT_CACHE_KEY
from tests.servers import BIN, running, uvicorn

pytestmark = pytest.mark.django_db(transaction=True)


SERVED_PASSWORD = "Served-by-uvicorn-1"


def _servable(user, settings) -> None:
    # The server checks passwords with the configured hashers, not the suite's fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user.password = make_password(SERVED_PASSWORD)
    user.save()


def _sign_in(http: httpx.Client, username: str) -> None:
    http.get("/accounts/login/")
    token = http.cookies[settings.CSRF_COOKIE_NAME]
    signed_in = http.post(
        "/accounts/login/",
        data={"username": username, "password": SERVED_PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert signed_in.status_code == 302


def test_uvicorn_serves_sign_in_pages_and_the_live_channel(nurse, settings):
    _servable(nurse, settings)
    with uvicorn() as base, httpx.Client(base_url=base, follow_redirects=False) as http:
        _sign_in(http, "nurse")
        assert http.get("/dashboard/").status_code == 200
        session = http.cookies[settings.SESSION_COOKIE_NAME]

        async def hello() -> dict:
            async with websockets.connect(
                base.replace("http", "ws") + "/ws/notifications/",
                additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
                origin="http://127.0.0.1",
                open_timeout=10,
            ) as socket:
                return json.loads(await asyncio.wait_for(socket.recv(), 10))

        assert asyncio.run(hello())["type"] == "hello"


def test_uvicorn_streams_a_large_csv_export(manager, clinic, settings):
    from clinicflow.core.audit.recorder import record
    from clinicflow.core.models import AuditAction

    _servable(manager, settings)
    for n in range(1200):  # more than two chunks of the async stream
        record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr=f"row {n}")
    with uvicorn() as base, httpx.Client(base_url=base, follow_redirects=False) as http:
        _sign_in(http, "manager")
        with http.stream("GET", "/audit/export.csv") as response:
            assert response.status_code == 200
            lines = list(response.iter_lines())
    assert lines[0].startswith("Time (UTC),Sequence")
    assert sum(1 for line in lines if ",row " in line) == 1200


@pytest.fixture
def celery_app():
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # the suite runs tasks eagerly; here a worker does
    yield app
    app.conf.task_always_eager = eager


@pytest.mark.redis
def test_a_celery_worker_runs_tasks_and_beat_schedules_them(tmp_path, celery_app):
    cache.delete(HEARTBEAT_CACHE_KEY)
    worker = [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "--pool",
        "solo",
        "--loglevel",
        "WARNING",
    ]
    beat = [
        str(BIN / "celery"),
        "-A",
        "config",
        "beat",
        "--loglevel",
        "WARNING",
        "--schedule",
        str(tmp_path / "beat-schedule"),
    ]
    with running(worker), running(beat, CLINICFLOW_HEARTBEAT_SECONDS="1"):
        # A task sent by name goes through Redis to the worker, and its result comes back.
        result = celery_app.send_task("core.verify_audit")
        assert isinstance(result.get(timeout=60), dict)
        deadline = time.monotonic() + 60
        while cache.get(HEARTBEAT_CACHE_KEY) is None and time.monotonic() < deadline:
            time.sleep(0.5)
    assert cache.get(HEARTBEAT_CACHE_KEY) is not None, "beat's heartbeat never reached the worker"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
