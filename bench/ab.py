"""A same-run A/B of two git revisions: the same bench driver (this checkout's) against each
revision's server code, interleaved A, B, A, B… on one machine, so that the machine's noise
falls on both alike. Prints one JSON document on stdout: per scenario, the median of each
figure over the rounds for A and for B, and the ratio B/A.

    .venv/bin/python bench/ab.py --a main~3 --b main \\
        --scenarios patient_search,free_slots,booking_race,dispensing,mixed_writers \\
        --rounds 2 -- --patients 100000 --appointments 100000 --mixed-processes 1,2

Each revision is checked out in a temporary ``git worktree`` (detached), sharing this
checkout's virtualenv, ``node_modules`` and ``static/vendor`` through symlinks, and removed
afterwards (also on Ctrl-C). Each run sets its database up from scratch with its own
revision's migrations and generators (``bench/run.py --app-root``). A scenario whose
generator a revision lacks (``mixed_writers`` needs ``generate_workday``) is reported as
missing on that side, not as an error. Arguments after ``--`` go to every ``bench/run.py``.

Exit status: 0 every run answered, 1 some run failed or some request failed, 2 the A/B
could not run, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.environment import PYTHON, ROOT, BenchError, log

#: The generator each scenario's data needs in the revision that serves it.
NEEDS = {
    "patient_search": "generate_patients",
    "free_slots": "generate_appointments",
    "booking_race": "generate_appointments",
    "dispensing": "generate_stock",
    "mixed_writers": "generate_workday",
}
#: Untracked things a checkout needs to run, shared with the temporary worktrees.
SHARED = (".venv", "node_modules", "static/vendor")
#: The figures compared, as paths into a scenario's entry of ``bench/run.py``'s JSON.
FIGURES: dict[str, tuple[str, ...]] = {
    "paced_p50_ms": ("paced", "p50_ms"),
    "paced_p95_ms": ("paced", "p95_ms"),
    "rps": ("rps",),
    "cpu_ms_per_request": ("cpu_ms_per_request",),
    "p50_ms": ("p50_ms",),
    "p95_ms": ("p95_ms",),
    "errors": ("errors",),
    "sealer_cpu_ms": ("sealer_cpu_ms",),
    "dispenses_per_s": ("dispenses_per_s",),
    "writes_per_s": ("writes_per_s",),
}
DEFAULT_SCENARIOS = "patient_search,free_slots,booking_race,dispensing,mixed_writers"


def figure(entry: dict[str, Any], path: tuple[str, ...]) -> float | None:
    value: Any = entry
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return float(value) if isinstance(value, int | float) else None


def medians(runs: list[dict[str, Any]], scenario: str) -> dict[str, float] | None:
    """The median of each figure of ``scenario`` over the runs that have it (None: none has
    it, i.e. the scenario is missing on this side)."""
    entries = [run["scenarios"][scenario] for run in runs if scenario in run.get("scenarios", {})]
    if not entries:
        return None
    found: dict[str, float] = {}
    for name, path in FIGURES.items():
        values = [v for v in (figure(e, path) for e in entries) if v is not None]
        if values:
            found[name] = round(statistics.median(values), 2)
    extra = [e.get("writes_per_s_by_processes") for e in entries]
    by_processes = [x for x in extra if x]
    if by_processes:
        keys = sorted({k for x in by_processes for k in x}, key=int)
        for key in keys:
            values = [float(x[key]) for x in by_processes if x.get(key) is not None]
            if values:
                found[f"writes_per_s_{key}_processes"] = round(statistics.median(values), 2)
    return found


def ratios(
    a: dict[str, float] | None, b: dict[str, float] | None
) -> dict[str, float | None] | None:
    """B/A for every figure both sides have (None where A's is 0)."""
    if a is None or b is None:
        return None
    return {
        name: round(b[name] / a[name], 3) if a[name] else None
        for name in a
        if name in b and name != "errors"
    }


def compare(
    scenarios: list[str], a_runs: list[dict[str, Any]], b_runs: list[dict[str, Any]]
) -> dict[str, Any]:
    """Per scenario: A's and B's medians (or ``"missing"``) and the ratio B/A."""
    result: dict[str, Any] = {}
    for scenario in scenarios:
        a, b = medians(a_runs, scenario), medians(b_runs, scenario)
        result[scenario] = {
            "a": a if a is not None else "missing",
            "b": b if b is not None else "missing",
            "b_over_a": ratios(a, b),
        }
    return result


def available(root: Path, scenarios: list[str]) -> list[str]:
    """The scenarios a checkout can serve (its generators exist)."""
    return [
        name
        for name in scenarios
        if name not in NEEDS or any(root.glob(f"clinicflow/*/management/commands/{NEEDS[name]}.py"))
    ]


def git(*args: str, cwd: Path = ROOT) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )
    if result.returncode != 0:
        raise BenchError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout.strip()


def add_worktree(revision: str, where: Path) -> str:
    """A detached worktree of ``revision`` at ``where``, sharing this checkout's untracked
    run-time things; returns the commit."""
    commit = git("rev-parse", "--verify", f"{revision}^{{commit}}")
    git("worktree", "add", "--detach", str(where), commit)
    for name in SHARED:
        source, target = ROOT / name, where / name
        if source.exists() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source.resolve(), target_is_directory=True)
    return commit


def remove_worktree(where: Path) -> None:
    try:
        git("worktree", "remove", "--force", str(where))
    except BenchError as exc:
        log(f"could not remove the worktree {where}: {exc}")
        shutil.rmtree(where, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=False)


def run_once(root: Path, scenarios: list[str], args: argparse.Namespace, side: str) -> dict:
    command = [
        PYTHON, str(ROOT / "bench" / "run.py"), "--app-root", str(root),
        "--db-name", f"{args.db_name}_{side}", "--redis-db", str(args.redis_db),
        "--scenarios", ",".join(scenarios), *args.run_args,
    ]  # fmt: skip
    log(f"run {side.upper()}: {' '.join(command[2:])}")
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        stdout, _ = process.communicate()
    except BaseException:
        process.send_signal(signal.SIGINT)
        process.wait(60)
        raise
    if process.returncode not in (0, 1):
        return {"failed": process.returncode, "scenarios": {}}
    report: dict[str, Any] = json.loads(stdout)
    return report


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    argv = list(sys.argv[1:] if argv is None else argv)
    run_args: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, run_args = argv[:at], argv[at + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--a", required=True, help="revision A (e.g. main~3)")
    parser.add_argument("--b", required=True, help="revision B (e.g. main)")
    parser.add_argument("--scenarios", default=DEFAULT_SCENARIOS, help="comma-separated")
    parser.add_argument("--rounds", type=int, default=2, help="A, B runs per round")
    parser.add_argument("--db-name", default="clinicflow_bench_ab", help="suffixed _a and _b")
    parser.add_argument("--redis-db", type=int, default=12, help="Redis index of every run")
    args = parser.parse_args(argv)
    args.run_args = run_args
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def ab(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    started = time.monotonic()
    sides: dict[str, dict[str, Any]] = {}
    try:
        for side, revision in (("a", args.a), ("b", args.b)):
            where = tmp / side
            commit = add_worktree(revision, where)
            sides[side] = {
                "revision": revision,
                "commit": commit,
                "root": where,
                "scenarios": available(where, args.scenarios),
                "runs": [],
            }
        for round_ in range(args.rounds):
            for side in ("a", "b"):
                log(f"round {round_ + 1} of {args.rounds}, {side.upper()}")
                info = sides[side]
                info["runs"].append(run_once(info["root"], info["scenarios"], args, side))
    finally:
        for info in sides.values():
            remove_worktree(info["root"])
    failed = {
        side: [r["failed"] for r in info["runs"] if "failed" in r] for side, info in sides.items()
    }
    return {
        "a": {k: sides["a"][k] for k in ("revision", "commit", "scenarios")},
        "b": {k: sides["b"][k] for k in ("revision", "commit", "scenarios")},
        "rounds": args.rounds,
        "order": "A, B per round",
        "run_args": args.run_args,
        "failed_runs": failed,
        "scenarios": compare(args.scenarios, sides["a"]["runs"], sides["b"]["runs"]),
        "errors": {
            side: sum(
                s.get("errors", 0) for r in info["runs"] for s in r.get("scenarios", {}).values()
            )
            for side, info in sides.items()
        },
        "duration_s": round(time.monotonic() - started, 1),
    }


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        with tempfile.TemporaryDirectory(prefix="clinicflow-ab-") as tmp:
            report = ab(args, Path(tmp))
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 2
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    bad = any(report["failed_runs"].values()) or any(report["errors"].values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
