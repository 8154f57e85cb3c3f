"""The production configuration: deploy checks pass, secrets are required, argon2 hashes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 30 + "a-long-and-random-production-secret-key-0123456789",
    "AUDIT_HMAC_KEY": "another-long-random-key-for-the-audit-chain-0123456789",
    "ALLOWED_HOSTS": "clinic.example.org",
    "DATABASE_URL": "postgres://clinicflow@127.0.0.1:5432/clinicflow",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DEBUG"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "CLINICFLOW_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_check_passes_with_production_variables(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "AUDIT_HMAC_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"]
)
def test_production_refuses_to_start_without_a_required_variable(tmp_path, missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_the_demo_refuses_to_load_with_debug_off(tmp_path):
    result = manage("seed_demo", env={"DEBUG": "0"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "Refusing to load demo accounts with DEBUG off" in result.stderr


def test_passwords_are_hashed_with_argon2():
    from django.conf import settings

    from config import settings as configured

    # The suite swaps in a fast hasher (conftest.py); the configured one is argon2.
    assert configured.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.AUTH_PASSWORD_VALIDATORS


@pytest.mark.django_db
def test_security_headers_on_every_page(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp


@pytest.mark.django_db
def test_error_pages_show_no_internals(client, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"Traceback" not in response.content
    assert b"urlpatterns" not in response.content


def test_production_collects_static_files_with_hashed_names(tmp_path):
    # The manifest storage follows every url() and sourceMappingURL in the vendored files:
    # one missing file and production pages cannot render.
    result = manage("collectstatic", "--no-input", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "staticfiles" / "staticfiles.json").exists()


def test_the_redis_channel_layer_reads_longer_than_it_blocks_for_a_message():
    """channels_redis waits up to ``brpop_timeout`` for a channel's next message; a socket
    timeout no longer than that (redis-py 8's default is 5 s) ends a quiet screen's consumer
    with a TimeoutError."""
    from channels_redis.core import RedisChannelLayer

    from config import settings as project

    if not project.REDIS_URL:
        pytest.skip("the in-memory layer has no socket")
    (host,) = project.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout
