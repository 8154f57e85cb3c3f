"""Server CPU per request of the lab's reading pages, measured in-process: what Django spends
between a request and its response for a doctor reading a long lab history (no sockets, no
server, no client process).

A signed-in demo doctor (``doc001``) through Django's test client (the whole middleware
chain, the policy, the ORM, the layout), ``time.process_time()`` around each request: a
parameter's trend page and the chart's Results section (what ``lab_results`` measures), and
the chart and the dashboard that share the layout. After a warm-up, the median (and p90) of
``--requests`` requests per page, the pages interleaved round by round so drift of the
machine falls on all of them alike; then the queries of one request of each. JSON on stdout.

    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/lab_inprocess.py

Needs ``seed_demo``, ``generate_patients --clinic KTM`` and ``generate_lab --clinic KTM``
(``--results 300000 --history-patients 20`` is enough). Reads only, apart from the session it
signs in with and the read events the pages audit. ``--profile trend`` writes a pyinstrument
(when installed) or cProfile report of that page instead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "0")

#: The test generate_lab makes, and the patients with the longest history of it.
TEST_CODE = "GEN-P20"
MARKERS = {
    "trend": b'data-testid="lab-trend-row"',
    "results": b'data-testid="lab-latest"',
    "chart": b'data-testid="lab-latest"',
    "dashboard": b"</html>",
}


def _pages(clinic_code: str, username: str) -> tuple[Any, dict[str, str]]:
    """The signed-in client and the page of each kind (one long-history patient)."""
    from django.db.models import Count
    from django.test import Client

    from clinicflow.accounts.models import User
    from clinicflow.core.models import Clinic
    from clinicflow.lab.models import OrderedTest, Parameter

    clinic = Clinic.objects.get(code=clinic_code)
    busiest = (
        OrderedTest.objects.filter(clinic=clinic, test__code=TEST_CODE, status="verified")
        .values("order__patient_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    if busiest is None:
        raise SystemExit(f"no generated lab history in {clinic_code}: run generate_lab")
    patient = busiest["order__patient_id"]
    code = (
        Parameter.objects.filter(test__clinic=clinic, test__code=TEST_CODE)
        .order_by("order")
        .values_list("code", flat=True)
        .first()
    )
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client, {
        "trend": f"/lab/patients/{patient}/trends/{code}/",
        "results": f"/lab/patients/{patient}/results/",
        "chart": f"/patients/{patient}/",
        "dashboard": "/dashboard/",
    }


def _get(client: Any, name: str, path: str) -> Any:
    response = client.get(path)
    if response.status_code != 200 or MARKERS[name] not in response.content:
        raise SystemExit(f"{name}: {response.status_code} {response.content[:300]!r}")
    return response


def _queries(client: Any, name: str, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as seen:
        _get(client, name, path)
    return len(seen.captured_queries)


def _profile(client: Any, name: str, path: str, requests: int, out: str) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:  # the standard library's, less readable
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            _get(client, name, path)
        profiler.disable()
        profiler.dump_stats(out or f"/tmp/{name}.prof")
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(requests):
        _get(client, name, path)
    profiler.stop()
    Path(out or f"/tmp/{name}.txt").write_text(profiler.output_text(show_all=False))


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": round(statistics.median(ordered), 2),
        "p90": round(ordered[int(len(ordered) * 0.9) - 1], 2),
        "mean": round(statistics.fmean(ordered), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clinic", default="KTM")
    parser.add_argument("--user", default="doc001")
    parser.add_argument("--requests", type=int, default=200, help="Measured, per page.")
    parser.add_argument("--warmup", type=int, default=20, help="Unmeasured, per page.")
    parser.add_argument("--pages", default="trend,results,chart,dashboard")
    parser.add_argument("--profile", help="Profile this page (its name) instead …")
    parser.add_argument("--profile-out", default="", help="… into this file.")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    client, every = _pages(args.clinic, args.user)
    pages = {name: every[name] for name in args.pages.split(",")}
    for _ in range(args.warmup):
        for name, path in pages.items():
            _get(client, name, path)
    if args.profile:
        _profile(client, args.profile, every[args.profile], args.requests, args.profile_out)
        return

    cpu: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(args.requests):
        for name, path in pages.items():
            started = time.process_time()
            _get(client, name, path)
            cpu[name].append((time.process_time() - started) * 1000)

    report = {
        "unit": "server CPU ms per request (time.process_time, in-process test client)",
        "user": args.user,
        "requests_per_page": args.requests,
        "warmup_per_page": args.warmup,
        "database": connection.vendor,
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "debug": settings.DEBUG,
        "pages": {
            name: {
                "request": f"GET {path}",
                "cpu_ms": summary(cpu[name]),
                "queries": _queries(client, name, path),
            }
            for name, path in pages.items()
        },
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
