"""The production-shaped environment every bench subprocess (manage.py, uvicorn) runs with."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

#: Only loopback: the bench never talks to another machine.
LOOPBACK = "127.0.0.1"


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the JSON report."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """The bench could not run (as opposed to a request that failed while measuring)."""


class Deadline:
    """One overall time budget shared by every step of a run."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expires = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.expires - time.monotonic()
        if left <= 0:
            raise BenchError(f"overall timeout of {self.seconds:.0f} s reached")
        return left


@dataclass
class BenchEnvironment:
    var_dir: Path
    database: str = "clinicflow_bench"
    pg_host: str = LOOPBACK
    pg_port: int = 5432
    pg_user: str = "postgres"
    redis_url: str = f"redis://{LOOPBACK}:6379/14"
    settings_module: str = "config.settings"
    #: The checkout whose code serves (manage.py, config, clinicflow): this one, or another
    #: revision's worktree for an A/B run (``bench/ab.py``); the bench's own code stays here.
    app_root: Path = ROOT
    # Fresh per run: nothing the bench signs or hashes outlives it.
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    audit_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))

    @property
    def database_url(self) -> str:
        return f"postgres://{self.pg_user}@{self.pg_host}:{self.pg_port}/{self.database}"

    @property
    def admin_database_url(self) -> str:
        """The maintenance database, to drop and create the bench one."""
        return f"postgres://{self.pg_user}@{self.pg_host}:{self.pg_port}/postgres"

    def variables(self) -> dict[str, str]:
        env = dict(os.environ)
        # Nothing from the caller's shell may turn the server back into a development one.
        for name in (
            "DEBUG",
            "SECURE_PROXY_SSL_HEADER",
            "BEHIND_TLS_PROXY",
            "CELERY_TASK_ALWAYS_EAGER",
        ):
            env.pop(name, None)
        env.update(
            DJANGO_SETTINGS_MODULE=self.settings_module,
            DJANGO_ENV="production",
            SECRET_KEY=self.secret_key,
            AUDIT_HMAC_KEY=self.audit_key,
            ALLOWED_HOSTS=f"{LOOPBACK},localhost",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            CLINICFLOW_VAR_DIR=str(self.var_dir),
            # The bench speaks plain HTTP on loopback (settings read it with env_bool).
            SECURE_SSL_REDIRECT="0",
            PYTHONUNBUFFERED="1",
            # The application's packages come from the checkout that serves, never this one.
            PYTHONPATH=str(self.app_root),
        )
        return env

    def has_command(self, name: str) -> bool:
        """Whether the serving checkout has the management command ``name`` (an older
        revision lacks the newer generators)."""
        return any(self.app_root.glob(f"clinicflow/*/management/commands/{name}.py"))

    def manage(
        self, *args: str, deadline: Deadline, capture: bool = False, limit_s: float = 180
    ) -> str:
        """Run ``manage.py`` with the bench environment, for at most ``limit_s`` (and what is
        left of the run's time); its output goes to stderr unless captured."""
        command = [PYTHON, "manage.py", *args]
        result = subprocess.run(
            command,
            cwd=self.app_root,
            env=self.variables(),
            stdout=subprocess.PIPE if capture else sys.stderr,
            stderr=subprocess.PIPE,
            text=True,
            timeout=min(deadline.remaining(), limit_s),
            check=False,
        )
        if result.returncode != 0:
            raise BenchError(
                f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}"
            )
        return result.stdout if capture else ""
