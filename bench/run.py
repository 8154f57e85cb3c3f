"""ClinicFlow benchmark: prints one JSON document on stdout (progress on stderr).

    .venv/bin/python bench/run.py [--requests 400] [--concurrency 20] ...

Exit status: 0 when every measured request succeeded, 1 when some failed (the JSON says
which), 2 when the bench itself could not run (no JSON), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import os
import platform
import signal
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import Any

if __package__ in (None, ""):
    # Run as a script: import the bench as a package from the project root (and keep this
    # directory off the path, so that no module here shadows a library).
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.database import StockSizes, prepare
from bench.environment import ROOT, BenchEnvironment, BenchError, Deadline, log
from bench.scenarios import SCENARIOS, Context
from bench.scenarios.booking_race import BookingRace
from bench.scenarios.dispensing import PHARMACISTS, Dispensing
from bench.scenarios.free_slots import FreeSlots
from bench.scenarios.patient_search import PatientSearch
from bench.scenarios.queue_fanout import CHANGES, QueueFanout
from bench.server import Server

#: The server's output of the last run (bench/results/ is git-ignored).
SERVER_LOG = ROOT / "bench" / "results" / "server.log"

#: Demo users the signed-in scenarios sign in as, one role after another. ``admin`` is left
#: out: in production a platform admin must enrol a second factor before anything else.
DEMO_USERS = (
    "manager",
    "doc001",
    "nurse",
    "reception",
    "pharmacist",
    "labtech",
    "cashier",
    "patient",
    "doc002",
    "manager2",
    "reception2",
    "doc003",
    "doc004",
)


#: The scenarios of a plain run; queue_fanout takes minutes of its own and is asked for by name.
DEFAULT_SCENARIOS = tuple(name for name in SCENARIOS if name != QueueFanout.name)


def demo_password() -> str:
    """The demo's published password, read from its module without setting Django up."""
    tree = ast.parse((ROOT / "clinicflow" / "accounts" / "demo.py").read_text())
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "DEMO_PASSWORD" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            return str(node.value.value)
    raise BenchError("DEMO_PASSWORD not found in clinicflow/accounts/demo.py")


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--requests", type=positive, default=400, help="measured requests per page scenario"
    )
    parser.add_argument(
        "--warmup", type=int, default=40, help="uncounted requests before measuring"
    )
    parser.add_argument(
        "--logins", type=positive, default=40, help="measured sign-ins (login_post)"
    )
    parser.add_argument("--concurrency", type=positive, default=20, help="concurrent clients")
    parser.add_argument("--workers", type=positive, default=2, help="uvicorn processes")
    parser.add_argument(
        "--patients",
        type=positive,
        default=1_000_000,
        help="patients generated into the demo clinic KTM for patient_search",
    )
    parser.add_argument(
        "--appointments",
        type=positive,
        default=1_000_000,
        help="appointments generated into KTM for free_slots and booking_race",
    )
    parser.add_argument(
        "--medicines", type=positive, default=5_000, help="medicines generated for dispensing"
    )
    parser.add_argument(
        "--batches", type=positive, default=50_000, help="stock batches over those medicines"
    )
    parser.add_argument(
        "--prescriptions",
        type=positive,
        default=30_000,
        help="issued, reviewed prescriptions waiting to be dispensed",
    )
    parser.add_argument(
        "--queue-changes",
        type=positive,
        default=CHANGES,
        help="queue changes the queue_fanout scenario makes while its clients listen",
    )
    parser.add_argument("--timeout", type=positive, default=900, help="overall limit in seconds")
    parser.add_argument(
        "--settings",
        default="config.settings",
        help="Django settings module of the server and manage.py (to try a settings change)",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(DEFAULT_SCENARIOS),
        help=f"comma-separated, in order (default: {','.join(DEFAULT_SCENARIOS)}; also: "
        f"{QueueFanout.name}, minutes long, run on its own)",
    )
    args = parser.parse_args(argv)
    args.scenarios = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    return args


async def run_scenarios(names: list[str], ctx: Context) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in names:
        log(f"scenario {name}")
        results[name] = await SCENARIOS[name].run(ctx)
        summary = results[name]
        log(
            f"  {summary['requests']} requests, {summary['errors']} errors, "
            f"p50 {summary.get('p50_ms')} ms, p95 {summary.get('p95_ms')} ms, "
            f"{summary['rps']} req/s"
        )
    return results


def bench(args: argparse.Namespace, var_dir: Path) -> dict[str, Any]:
    started = time.monotonic()
    # Client and server share this machine: anything else running skews the figures.
    load_at_start = round(os.getloadavg()[0], 2)
    deadline = Deadline(args.timeout)
    environment = BenchEnvironment(var_dir=var_dir, settings_module=args.settings)
    search = next((SCENARIOS[n] for n in args.scenarios if n == PatientSearch.name), None)
    scheduling = [SCENARIOS[n] for n in args.scenarios if n in (FreeSlots.name, BookingRace.name)]
    dispensing = SCENARIOS[Dispensing.name] if Dispensing.name in args.scenarios else None
    stock = (
        StockSizes(args.medicines, args.batches, args.prescriptions, pharmacists=PHARMACISTS)
        if dispensing
        else None
    )
    prepared = prepare(
        environment,
        deadline,
        patients=args.patients if search else 0,
        appointments=args.appointments if scheduling else 0,
        stock=stock,
    )
    if prepared["scheduling"]:
        generated = prepared["scheduling"]
        for scenario in scheduling:
            if isinstance(scenario, FreeSlots):
                scenario.use(generated["doctors"], generated["data"])
            elif isinstance(scenario, BookingRace):
                scenario.use(
                    generated["doctors"].get(generated["race_doctor"], 0),
                    generated["race_patients"],
                    environment.database_url,
                )
    if isinstance(dispensing, Dispensing) and prepared["pharmacy"]:
        dispensing.use(prepared["pharmacy"]["work"], environment.database_url)
    if isinstance(search, PatientSearch) and prepared["patients"]:
        search.use(prepared["patients"]["samples"], prepared["patients"]["data"])
    fanout = SCENARIOS[QueueFanout.name]
    if QueueFanout.name in args.scenarios and isinstance(fanout, QueueFanout):
        fanout.use(environment, args.queue_changes)
    SERVER_LOG.parent.mkdir(exist_ok=True)
    with Server(
        environment, workers=args.workers, deadline=deadline, log_path=SERVER_LOG
    ) as server:
        ctx = Context(
            base_url=server.base_url,
            concurrency=args.concurrency,
            requests=args.requests,
            warmup=args.warmup,
            logins=args.logins,
            password=demo_password(),
            users=DEMO_USERS,
            deadline=deadline,
        )
        scenarios = asyncio.run(run_scenarios(args.scenarios, ctx))
        description = server.description
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "loadavg_1m_at_start": load_at_start,
        },
        "server": (f"{description}, PostgreSQL {prepared['postgres']}, Redis {prepared['redis']}"),
        "data": prepared["data"],
        "concurrency": args.concurrency,
        "settings": {
            "requests": args.requests,
            "warmup": args.warmup,
            "logins": args.logins,
            "patients": args.patients if search else 0,
            "appointments": args.appointments if scheduling else 0,
            "stock": asdict(stock) if stock else None,
            "queue_changes": args.queue_changes if QueueFanout.name in args.scenarios else 0,
            "django_settings": args.settings,
        },
        "scenarios": scenarios,
        "duration_s": round(time.monotonic() - started, 1),
    }


def _terminate(signum: int, frame: FrameType | None) -> None:
    # SIGTERM unwinds like Ctrl-C, so the server is stopped on the way out.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        with tempfile.TemporaryDirectory(prefix="clinicflow-bench-") as tmp:
            report = bench(args, Path(tmp))
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 2
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    errors = sum(s["errors"] + s.get("setup_errors", 0) for s in report["scenarios"].values())
    if errors:
        log(f"{errors} request(s) failed: see error_samples, and the server's log {SERVER_LOG}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
