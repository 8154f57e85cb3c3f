"""Start and stop the production-like server: several uvicorn processes on one port, the
connections spread over them by the kernel (``bench/reuseport.py`` says why not
``uvicorn --workers``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from importlib.metadata import version
from pathlib import Path
from typing import IO

import httpx

from bench.cpu import tree_cpu_ms, tree_rss_kb
from bench.environment import LOOPBACK, PYTHON, BenchEnvironment, BenchError, Deadline, log
from bench.managed import Managed

STARTUP_TIMEOUT_S = 60
REUSEPORT = Path(__file__).resolve().parent / "reuseport.py"
STOP_TIMEOUT_S = 15


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class Server(Managed):
    """``with Server(...) as server:`` runs uvicorn for the duration of the block and always
    stops it, also on Ctrl-C or an error."""

    def __init__(
        self, bench: BenchEnvironment, *, workers: int, deadline: Deadline, log_path: Path
    ):
        self.bench = bench
        self.workers = workers
        self.deadline = deadline
        self.port = free_port()
        self.base_url = f"http://{LOOPBACK}:{self.port}"
        self.log_path: Path = log_path
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def description(self) -> str:
        return (
            f"uvicorn {version('uvicorn')}, {self.workers} processes on one port "
            "(SO_REUSEPORT), DJANGO_ENV=production"
        )

    def start(self) -> None:
        command = [
            PYTHON,
            # By path: the application's checkout (PYTHONPATH) may be another revision's.
            str(REUSEPORT),
            "--host",
            LOOPBACK,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
            "config.asgi:application",
        ]
        log(f"starting {self.description} on {self.base_url} (log: {self.log_path})")
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            command,
            cwd=self.bench.app_root,
            env=self.bench.variables(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Its own process group: Ctrl-C reaches only the bench, which then stops the
            # server in order, and a stuck server can be ended with its workers.
            start_new_session=True,
        )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        limit = time.monotonic() + min(STARTUP_TIMEOUT_S, self.deadline.remaining())
        last = "no answer"
        with httpx.Client(base_url=self.base_url, timeout=5, trust_env=False) as client:
            while time.monotonic() < limit:
                if self._process is not None and self._process.poll() is not None:
                    raise BenchError(
                        f"the server exited ({self._process.returncode}):\n{self.tail()}"
                    )
                try:
                    response = client.get("/health/")
                except httpx.TransportError as exc:
                    last = repr(exc)
                else:
                    if response.status_code == 200:
                        log(f"server ready: {response.text.strip()}")
                        return
                    last = f"HTTP {response.status_code}: {response.text[:300]}"
                time.sleep(0.25)
        raise BenchError(f"the server did not answer /health/ with 200 ({last}):\n{self.tail()}")

    def cpu_ms(self) -> float:
        """CPU milliseconds the launcher and its uvicorn processes have spent so far."""
        return tree_cpu_ms(self._process.pid if self._process is not None else None)

    def rss_kb(self) -> int:
        """Resident memory (kB) of the launcher and its uvicorn processes now."""
        return tree_rss_kb(self._process.pid if self._process is not None else None)

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    @staticmethod
    def _reap_group(group: int) -> None:
        """Kill worker processes left in the server's own process group (the group exists
        only while one of its members lives, so its id cannot belong to anyone else). The
        supervisor's helpers take a moment to go, so wait a little first."""
        limit = time.monotonic() + 3
        while time.monotonic() < limit:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        log("server processes outlived the supervisor; killing them")
        os.killpg(group, signal.SIGKILL)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            log("stopping the server")
            # The launcher stops its uvicorn processes on SIGTERM.
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log("the server did not stop in time; killing it")
                process.kill()
                process.wait(5)
        if process is not None:
            self._reap_group(process.pid)
        if self._log is not None:
            self._log.close()
            self._log = None
