"""The Celery worker and beat that run beside the server during the bench, against the same
database and Redis: the audit chain is sealed by a task after each commit (queued by the app)
and by beat every few seconds, so the bench measures the app as it runs in production. Their
CPU time is counted apart from the server's (``sealer_cpu_ms``), never in its CPU per request.

Both run in process groups of their own (Ctrl-C reaches only the bench, which stops them in
order) and are always stopped, also on an error or an interruption."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

from bench.cpu import tree_cpu_ms
from bench.environment import BenchEnvironment, log
from bench.managed import Managed

STOP_TIMEOUT_S = 15
#: Start-up is over when, over a step, they use less than this share of one core.
SETTLE_STEP_S = 0.5
IDLE_SHARE = 0.05
SETTLE_LIMIT_S = 30


def celery_commands(bin_dir: Path, var_dir: Path) -> dict[str, list[str]]:
    """The worker (one process: the sealer writes one chain in order) and beat, with beat's
    schedule file kept in the run's own directory, not the checkout."""
    celery = str(bin_dir / "celery")
    schedule = str(var_dir / "celerybeat-schedule")
    return {
        "worker": [celery, "-A", "config", "worker", "-l", "warning", "--concurrency", "1"],
        "beat": [celery, "-A", "config", "beat", "-l", "warning", "-s", schedule],
    }


class Sealer(Managed):
    """``with Sealer(...) as sealer:`` runs the Celery worker and beat for the block."""

    def __init__(self, bench: BenchEnvironment, *, log_path: Path, bin_dir: Path):
        self.bench = bench
        self.log_path = log_path
        self.commands = celery_commands(bin_dir, bench.var_dir)
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        log(f"starting the Celery worker and beat (log: {self.log_path})")
        self._log = self.log_path.open("wb")
        for name, command in self.commands.items():
            self._processes[name] = subprocess.Popen(
                command,
                cwd=self.bench.app_root,
                env=self.bench.variables(),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.settle()

    def settle(self, limit_s: float = SETTLE_LIMIT_S) -> None:
        """Wait until the worker and beat have started (Django set up, broker connected):
        until they spend almost no CPU for a moment, so that their start-up is not counted
        in the first scenario's ``sealer_cpu_ms``."""
        limit = time.monotonic() + limit_s
        last = self.cpu_ms()
        while time.monotonic() < limit:
            time.sleep(SETTLE_STEP_S)
            now = self.cpu_ms()
            if now - last < SETTLE_STEP_S * 1000 * IDLE_SHARE:
                return
            last = now
        log("the Celery worker and beat are still busy; measuring anyway")

    def running(self) -> dict[str, bool]:
        return {name: p.poll() is None for name, p in self._processes.items()}

    def cpu_ms(self) -> float:
        """CPU milliseconds the worker and beat (and their children) have spent so far."""
        return sum(tree_cpu_ms(p.pid) for p in self._processes.values() if p.poll() is None)

    def stop(self) -> None:
        processes, self._processes = self._processes, {}
        for process in processes.values():
            if process.poll() is None:
                # The worker finishes its task in hand and exits (a warm shutdown).
                os.killpg(process.pid, signal.SIGTERM)
        limit = time.monotonic() + STOP_TIMEOUT_S
        for name, process in processes.items():
            try:
                process.wait(max(limit - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                log(f"celery {name} did not stop in time; killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # anything its group left behind
            if process.poll() is None:
                process.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None
