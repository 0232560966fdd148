import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# Settings whose production values come from DEBUG unless the environment overrides them.
_SECURITY_OVERRIDES = (
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "OUTBOUND_ALLOW_LOOPBACK",
    "OUTBOUND_ALLOW_HTTP",
)


def _production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SECURITY_OVERRIDES}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="api.example.com",
    )
    env.update(overrides)
    return env


def _deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_check_passes_with_production_env():
    env = _production_env()
    assert len(env["SECRET_KEY"]) >= 60

    result = _deploy_check(env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_fails_with_debug_on():
    result = _deploy_check(_production_env(DEBUG="1"))

    assert result.returncode != 0
    assert "security.W018" in result.stderr


def test_production_settings_refuse_to_load_without_a_secret_key():
    env = _production_env()
    del env["SECRET_KEY"]

    result = _deploy_check(env)

    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_deploy_check_fails_with_a_weak_secret_key():
    result = _deploy_check(_production_env(SECRET_KEY="django-insecure-short"))

    assert result.returncode != 0
    assert "security.W009" in result.stderr


@pytest.mark.parametrize("setting", ["OUTBOUND_ALLOW_LOOPBACK", "OUTBOUND_ALLOW_HTTP"])
def test_deploy_check_refuses_outbound_development_switches(setting):
    result = _deploy_check(_production_env(**{setting: "1"}))

    assert result.returncode != 0
    assert setting in result.stderr
