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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import Any

if __package__ in (None, ""):
    # Run as a script: import the bench as a package from the project root (and keep this
    # directory off the path, so that no module here shadows a library).
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import audit
from bench.database import StockSizes, clinic_id, generate_workday, prepare, reuse
from bench.environment import LOOPBACK, ROOT, BenchEnvironment, BenchError, Deadline, log
from bench.scenarios import SCENARIOS, Context
from bench.scenarios.billing_counter import BillingCounter, CounterData
from bench.scenarios.billing_reports import BillingReports
from bench.scenarios.booking_race import BookingRace
from bench.scenarios.dispensing import PHARMACISTS, Dispensing
from bench.scenarios.free_slots import FreeSlots
from bench.scenarios.lab import LabData, LabEntry, LabResults
from bench.scenarios.mixed_writers import MIX, MixedWriters, share_clients
from bench.scenarios.otp_burst import OtpBurst
from bench.scenarios.patient_search import PatientSearch
from bench.scenarios.portal import Portal, PortalData
from bench.scenarios.queue_fanout import CHANGES, QueueFanout
from bench.sealer import Sealer
from bench.server import Server

#: The server's output of the last run (bench/results/ is git-ignored).
SERVER_LOG = ROOT / "bench" / "results" / "server.log"
#: The Celery worker's and beat's output of the last run.
SEALER_LOG = ROOT / "bench" / "results" / "celery.log"
#: Scenarios that write through the audited services: the audit chain is verified after each.
WRITING_SCENARIOS = (
    "booking_race",
    "dispensing",
    "mixed_writers",
    "billing_counter",
    "billing_reports",
    "lab_entry",
)
#: The scenarios over a generated billing history.
BILLING_SCENARIOS = (BillingCounter.name, BillingReports.name)
#: The scenarios over a generated lab history (minutes to generate: asked for by name).
LAB_SCENARIOS = (LabEntry.name, LabResults.name)
#: The portal's scenarios: over generated long histories, and a burst that uses up the code
#: limits of its addresses and IPs (each asked for by name).
PORTAL_SCENARIOS = (Portal.name, OtpBurst.name)
#: The scenarios --reuse-database may run: over a billing history, reading a lab history or
#: the portal's, and the code burst (its limits live in the Redis index flushed at the start;
#: lab_entry uses up its worklist).
REUSABLE_SCENARIOS = (*BILLING_SCENARIOS, LabResults.name, *PORTAL_SCENARIOS)

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


#: The scenarios of a plain run; queue_fanout takes minutes of its own, the billing ones a
#: million-invoice history of their own, the lab's and the portal's histories of their own:
#: each is asked for by name.
DEFAULT_SCENARIOS = tuple(
    name
    for name in SCENARIOS
    if name != QueueFanout.name and name not in BILLING_SCENARIOS + LAB_SCENARIOS + PORTAL_SCENARIOS
)


def demo_password(root: Path = ROOT) -> str:
    """The demo's published password, read from its module without setting Django up."""
    tree = ast.parse((root / "clinicflow" / "accounts" / "demo.py").read_text())
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
    parser.add_argument(
        "--server-processes",
        "--workers",
        dest="workers",
        type=positive,
        default=2,
        help="uvicorn processes of the server",
    )
    parser.add_argument(
        "--mixed-processes",
        default="",
        help="comma-separated server process counts to run mixed_writers with, each on a "
        "server of its own (e.g. 1,2; default: --server-processes)",
    )
    parser.add_argument(
        "--mixed-seconds", type=positive, default=60, help="how long mixed_writers writes"
    )
    parser.add_argument("--people", type=positive, default=20, help="people of the paced phase")
    parser.add_argument(
        "--think-ms",
        type=int,
        default=300,
        help="each paced person's pause between requests (milliseconds)",
    )
    parser.add_argument(
        "--paced-requests",
        type=positive,
        default=400,
        help="measured requests of a paced phase (patient_search: at least 600)",
    )
    parser.add_argument(
        "--db-name",
        default="clinicflow_bench",
        help="the PostgreSQL database the bench drops and creates (choose your own when "
        "someone else may be running the bench)",
    )
    parser.add_argument(
        "--redis-db",
        type=int,
        default=14,
        help="the Redis index the bench flushes and uses",
    )
    parser.add_argument(
        "--app-root",
        type=Path,
        default=ROOT,
        help="the checkout whose code serves (bench/ab.py points it at another revision)",
    )
    parser.add_argument(
        "--no-sealer",
        action="store_true",
        help="do not run the Celery worker and beat beside the server",
    )
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
        "--invoices",
        type=positive,
        default=1_000_000,
        help="invoices generated into KTM for billing_counter and billing_reports",
    )
    parser.add_argument(
        "--lab-results",
        type=positive,
        default=5_000_000,
        help="lab results generated into KTM (over 200,000 patients) for lab_entry and lab_results",
    )
    parser.add_argument(
        "--reuse-database",
        action="store_true",
        help="use --db-name as an earlier run left it (no drop, no generating): the billing "
        "scenarios, lab_results, portal and otp_burst only",
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
        f"{QueueFanout.name}, minutes long, run on its own, {', '.join(BILLING_SCENARIOS)} "
        f"over a generated billing history and {', '.join(LAB_SCENARIOS)} over a generated "
        "lab history)",
    )
    args = parser.parse_args(argv)
    args.scenarios = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    try:
        args.mixed_processes = [
            positive(n) for n in args.mixed_processes.split(",") if n.strip()
        ] or [args.workers]
    except (ValueError, argparse.ArgumentTypeError):
        parser.error("--mixed-processes takes counts like 1,2")
    if args.reuse_database and any(n not in REUSABLE_SCENARIOS for n in args.scenarios):
        parser.error(f"--reuse-database runs only {', '.join(REUSABLE_SCENARIOS)}")
    if args.think_ms < 0:
        parser.error("--think-ms cannot be negative")
    if MixedWriters.name in args.scenarios and args.concurrency < len(MIX):
        parser.error("mixed_writers needs --concurrency of at least 5 (one client per kind)")
    args.app_root = args.app_root.resolve()
    return args


#: Why the audit chain is not verified after a run on a reused database (set by --reuse-database).
AUDIT_SKIPPED = (
    "skipped: a reused database's earlier events were sealed under an earlier run's random "
    "AUDIT_HMAC_KEY, so its chains cannot verify under this run's"
)


async def run_scenario(
    name: str,
    ctx: Context,
    environment: BenchEnvironment,
    sealer: Sealer | None,
    verify_audit: bool = True,
) -> dict[str, Any]:
    """One scenario, with the sealer's CPU over it and, for a writing scenario, the audit
    chain verified afterwards (a broken chain, or events left unsealed, is an error)."""
    log(f"scenario {name}")
    sealer_before = sealer.cpu_ms() if sealer else 0.0
    result: dict[str, Any] = await SCENARIOS[name].run(ctx)
    result["sealer_cpu_ms"] = round(sealer.cpu_ms() - sealer_before, 1) if sealer else None
    if name in WRITING_SCENARIOS and not verify_audit:
        result["audit"] = {"ok": None, "detail": [AUDIT_SKIPPED]}
    elif name in WRITING_SCENARIOS:
        outcome = await asyncio.to_thread(audit.check, environment, ctx.deadline)
        result["audit"] = outcome
        if not outcome["ok"]:
            result["errors"] += 1
            result.setdefault("error_samples", []).append(f"audit: {outcome}")
    log(
        f"  {result['requests']} requests, {result['errors']} errors, "
        f"p50 {result.get('p50_ms')} ms, p95 {result.get('p95_ms')} ms, "
        f"{result['rps']} req/s, {result.get('cpu_ms_per_request')} CPU ms/request"
        + (f", paced p95 {result['paced']['p95_ms']} ms" if result.get("paced") else "")
    )
    return result


async def run_scenarios(
    names: list[str],
    ctx: Context,
    environment: BenchEnvironment,
    sealer: Sealer | None,
    verify_audit: bool = True,
) -> dict[str, Any]:
    return {
        name: await run_scenario(name, ctx, environment, sealer, verify_audit) for name in names
    }


@contextmanager
def serving(
    environment: BenchEnvironment, processes: int, deadline: Deadline, no_sealer: bool
) -> Iterator[tuple[Server, Sealer | None]]:
    """The server, and beside it the Celery worker and beat (unless ``no_sealer``); all stopped
    on the way out, also on Ctrl-C."""
    with Server(environment, workers=processes, deadline=deadline, log_path=SERVER_LOG) as server:
        if no_sealer:
            yield server, None
            return
        with Sealer(
            environment, log_path=SEALER_LOG, bin_dir=Path(sys.executable).parent
        ) as sealer:
            yield server, sealer


def mixed_summary(runs: dict[int, dict[str, Any]], default_processes: int) -> dict[str, Any]:
    """mixed_writers' entry over its runs, one per server process count: each run as it is,
    and on top the run with the server's usual process count (or the last) for the figures
    every scenario has, with the totals of requests and errors over all runs."""
    if not runs:
        return {"requests": 0, "errors": 0, "rps": None, "paced": None}
    main = runs.get(default_processes) or runs[max(runs)]
    first = runs[min(runs)]
    result = {
        key: main.get(key)
        for key in ("description", "p50_ms", "p95_ms", "p99_ms", "rps", "writes_per_s")
    }
    result.update(
        requests=sum(r["requests"] for r in runs.values()),
        errors=sum(r["errors"] for r in runs.values()),
        paced=None,
        cpu_ms_per_request=main.get("cpu_ms_per_request"),
        sealer_cpu_ms=sum(r.get("sealer_cpu_ms") or 0 for r in runs.values()),
        writes_per_s_by_processes={str(p): r.get("writes_per_s") for p, r in runs.items()},
        cpu_ms_per_request_by_processes={
            str(p): r.get("cpu_ms_per_request") for p, r in runs.items()
        },
        scaling=(
            round(main["writes_per_s"] / first["writes_per_s"], 2)
            if len(runs) > 1 and first.get("writes_per_s") and main.get("writes_per_s")
            else None
        ),
        by_processes={str(p): r for p, r in runs.items()},
    )
    return result


def bench(args: argparse.Namespace, var_dir: Path) -> dict[str, Any]:
    started = time.monotonic()
    # Client and server share this machine: anything else running skews the figures.
    load_at_start = round(os.getloadavg()[0], 2)
    deadline = Deadline(args.timeout)
    environment = BenchEnvironment(
        var_dir=var_dir,
        database=args.db_name,
        redis_url=f"redis://{LOOPBACK}:6379/{args.redis_db}",
        settings_module=args.settings,
        app_root=args.app_root,
    )
    mixed = MixedWriters.name in args.scenarios
    if mixed and not environment.has_command("generate_workday"):
        raise BenchError(f"{args.app_root} has no generate_workday: mixed_writers cannot run")
    search = next((SCENARIOS[n] for n in args.scenarios if n == PatientSearch.name), None)
    scheduling = [SCENARIOS[n] for n in args.scenarios if n in (FreeSlots.name, BookingRace.name)]
    dispensing = SCENARIOS[Dispensing.name] if Dispensing.name in args.scenarios else None
    stock = (
        StockSizes(args.medicines, args.batches, args.prescriptions, pharmacists=PHARMACISTS)
        if dispensing or mixed
        else None
    )
    billing = [SCENARIOS[n] for n in args.scenarios if n in BILLING_SCENARIOS]
    lab = [SCENARIOS[n] for n in args.scenarios if n in LAB_SCENARIOS]
    portal = SCENARIOS[Portal.name] if Portal.name in args.scenarios else None
    if args.reuse_database:
        prepared = reuse(
            environment, deadline, billing=bool(billing), lab=bool(lab), portal=bool(portal)
        )
    else:
        prepared = prepare(
            environment,
            deadline,
            patients=args.patients if search else 0,
            appointments=args.appointments if scheduling else 0,
            stock=stock,
            staff=mixed,
            invoices=args.invoices if billing else 0,
            lab_results=args.lab_results if lab else 0,
            portal=portal is not None,
        )
    if isinstance(portal, Portal) and prepared.get("portal"):
        generated_portal = prepared["portal"]
        portal.use(PortalData(generated_portal["accounts"], generated_portal["data"]))
    burst = SCENARIOS[OtpBurst.name]
    if OtpBurst.name in args.scenarios and isinstance(burst, OtpBurst):
        burst.use(environment.database_url, clinic_id(environment))
    if prepared.get("lab"):
        generated_lab = prepared["lab"]
        lab_data = LabData(
            worklist=generated_lab["worklist"],
            parameters=generated_lab["parameters"],
            history_patients=generated_lab["history_patients"],
            codes=generated_lab["codes"],
            sizes=generated_lab["data"],
        )
        for scenario in lab:
            if isinstance(scenario, (LabEntry, LabResults)):
                scenario.use(lab_data)
    if prepared["billing"]:
        counter = CounterData(prepared["billing"]["patients"], prepared["billing"]["items"])
        for scenario in billing:
            if isinstance(scenario, (BillingCounter, BillingReports)):
                scenario.use(counter)
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
    password = demo_password(args.app_root)

    def context(server: Server) -> Context:
        return Context(
            base_url=server.base_url,
            concurrency=args.concurrency,
            requests=args.requests,
            warmup=args.warmup,
            logins=args.logins,
            password=password,
            users=DEMO_USERS,
            deadline=deadline,
            cpu=server.cpu_ms,
            rss=server.rss_kb,
            people=args.people,
            think_s=args.think_ms / 1000,
            paced_requests=args.paced_requests,
        )

    names = [name for name in args.scenarios if name != MixedWriters.name]
    scenarios: dict[str, Any] = {}
    description = ""
    if names:
        with serving(environment, args.workers, deadline, args.no_sealer) as (server, sealer):
            scenarios = asyncio.run(
                run_scenarios(names, context(server), environment, sealer, not args.reuse_database)
            )
            description = server.description
    if mixed:
        writers = SCENARIOS[MixedWriters.name]
        assert isinstance(writers, MixedWriters)
        signers = share_clients(args.concurrency)["signing"]
        runs: dict[int, dict[str, Any]] = {}
        for processes in args.mixed_processes:
            work = generate_workday(environment, deadline, signers)
            writers.use(work, args.mixed_seconds)
            with serving(environment, processes, deadline, args.no_sealer) as (server, sealer):
                log(f"mixed_writers on {processes} server process(es)")
                runs[processes] = asyncio.run(
                    run_scenario(MixedWriters.name, context(server), environment, sealer)
                )
                runs[processes]["server_processes"] = processes
                runs[processes]["workday_generate_s"] = work["generate_s"]
                description = description or server.description
        at = args.scenarios.index(MixedWriters.name)
        ordered = list(scenarios.items())
        ordered.insert(at, (MixedWriters.name, mixed_summary(runs, args.workers)))
        scenarios = dict(ordered)
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
        "paced": {"people": args.people, "think_ms": args.think_ms},
        "database": {"name": args.db_name, "redis_db": args.redis_db},
        "app_root": str(args.app_root),
        "sealer": None if args.no_sealer else "celery worker (concurrency 1) and beat",
        "settings": {
            "requests": args.requests,
            "warmup": args.warmup,
            "logins": args.logins,
            "patients": args.patients if search else 0,
            "appointments": args.appointments if scheduling else 0,
            "stock": asdict(stock) if stock else None,
            "invoices": args.invoices if billing else 0,
            "lab_results": args.lab_results if lab else 0,
            "reuse_database": args.reuse_database,
            "queue_changes": args.queue_changes if QueueFanout.name in args.scenarios else 0,
            "server_processes": args.workers,
            "mixed_processes": args.mixed_processes if mixed else None,
            "mixed_seconds": args.mixed_seconds if mixed else None,
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
