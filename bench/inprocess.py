"""Server CPU per request of the hottest read paths, measured in-process: no sockets, no
server, no client process; only what Django spends between a request and its response.

A signed-in receptionist of KTM, through Django's test client (the whole middleware chain,
the policy, the ORM), ``time.process_time()`` around each request; after a warm-up, the median
(and p90) of ``--requests`` requests per path, the paths interleaved round by round so drift
of the machine falls on all of them alike. Printed as JSON on stdout.

    DATABASE_URL=postgres://… REDIS_URL=redis://… DEBUG=0 .venv/bin/python bench/inprocess.py

Needs a loaded database: ``seed_demo``, then ``generate_patients --clinic KTM --count 100000``
and ``generate_appointments --clinic KTM``. Reads only, apart from the session it signs in
with (the refused booking writes nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "0")


def _setup() -> None:
    import django

    django.setup()


def _paths(clinic_code: str, search: str) -> tuple[Any, dict[str, tuple[str, str, dict[str, Any]]]]:
    """The signed-in client and the three requests: (method, path, extra)."""
    from django.test import Client
    from django.utils import timezone

    from clinicflow.accounts.models import User
    from clinicflow.core.models import Clinic
    from clinicflow.patients.models import Patient
    from clinicflow.scheduling.models import ACTIVE_STATUSES, Appointment, Practitioner

    clinic = Clinic.objects.get(code=clinic_code)
    if not search:  # a full name as reception types it: one person, a few namesakes
        row = Patient.objects.filter(clinic=clinic).order_by("mrn")[1000]
        search = f"{row.given_name} {row.family_name}"
    user = User.objects.get(username="reception")
    client = Client()
    client.force_login(user)

    doctor = (
        Practitioner.objects.filter(clinic=clinic, is_active=True, user__username="doc002").first()
        or Practitioner.objects.filter(clinic=clinic, is_active=True).order_by("pk").first()
    )
    assert doctor is not None, "no doctor in the clinic: run seed_demo"
    first = timezone.localdate(timezone=clinic.zone) + timedelta(days=1)
    last = first + timedelta(days=6)

    taken = (
        Appointment.objects.filter(
            clinic=clinic, status__in=ACTIVE_STATUSES, starts_at__gt=timezone.now() + timedelta(1)
        )
        .order_by("starts_at")
        .first()
    )
    assert taken is not None, "no future appointment: run generate_appointments"
    other = (
        Patient.objects.filter(clinic=clinic).exclude(pk=taken.patient_id).order_by("pk").first()
    )
    booking = {
        "patient": str(other.pk),
        "practitioner": taken.practitioner_id,
        "starts_at": taken.starts_at.isoformat(),
    }
    return client, {
        "patient_search": (
            "get",
            f"/patients/?{urlencode({'q': search})}",
            {"HTTP_HX_REQUEST": "true"},
        ),
        "free_slots": (
            "get",
            f"/api/v1/practitioners/{doctor.pk}/slots/?from={first}&to={last}",
            {},
        ),
        "refused_booking": (
            "post",
            "/api/v1/appointments/",
            {"data": json.dumps(booking), "content_type": "application/json"},
        ),
    }


EXPECTED = {"patient_search": 200, "free_slots": 200, "refused_booking": 409}


def _request(client: Any, name: str, method: str, path: str, extra: dict[str, Any]) -> Any:
    response = getattr(client, method)(path, **extra)
    if response.status_code != EXPECTED[name]:
        raise SystemExit(
            f"{name}: {response.status_code} instead of {EXPECTED[name]}: "
            f"{response.content[:300]!r}"
        )
    return response


def _queries(client: Any, name: str, request: tuple[str, str, dict[str, Any]]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as seen:
        _request(client, name, *request)
    return len(seen.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinic", default="KTM")
    parser.add_argument(
        "--search", default="", help="What reception types (default: a patient's full name)."
    )
    parser.add_argument("--requests", type=int, default=300, help="Measured, per path.")
    parser.add_argument("--warmup", type=int, default=30, help="Unmeasured, per path.")
    parser.add_argument("--profile", help="cProfile one path (its name) into this many …")
    parser.add_argument("--profile-out", default="", help="… .prof file (with --profile).")
    args = parser.parse_args()

    _setup()
    from django.conf import settings
    from django.db import connection

    client, paths = _paths(args.clinic, args.search)
    for _ in range(args.warmup):
        for name, request in paths.items():
            _request(client, name, *request)

    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        request = paths[args.profile]
        profiler.enable()
        for _ in range(args.requests):
            _request(client, args.profile, *request)
        profiler.disable()
        profiler.dump_stats(args.profile_out or f"/tmp/{args.profile}.prof")
        return

    cpu: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(args.requests):
        for name, request in paths.items():
            started = time.process_time()
            _request(client, name, *request)
            cpu[name].append((time.process_time() - started) * 1000)

    def summary(samples: list[float]) -> dict[str, float]:
        ordered = sorted(samples)
        return {
            "median": round(statistics.median(ordered), 2),
            "p90": round(ordered[int(len(ordered) * 0.9) - 1], 2),
            "mean": round(statistics.fmean(ordered), 2),
        }

    report = {
        "unit": "server CPU ms per request (time.process_time, in-process test client)",
        "requests_per_path": args.requests,
        "warmup_per_path": args.warmup,
        "database": connection.vendor,
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "session_engine": settings.SESSION_ENGINE.rsplit(".", 1)[-1],
        "debug": settings.DEBUG,
        "paths": {
            name: {
                "request": f"{paths[name][0].upper()} {paths[name][1]}",
                "cpu_ms": summary(samples),
                "queries": _queries(client, name, paths[name]),
            }
            for name, samples in cpu.items()
        },
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
