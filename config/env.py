"""The one place settings read the environment (django-environ)."""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def email_settings(url: str) -> dict:
    """Django's EMAIL_* settings for an email URL: django-environ's schemes (smtp://,
    smtp+tls://, consolemail://, memorymail://, …) plus `anymail+<esp>://<api key>@` for an
    email service provider through django-anymail (e.g. anymail+mailgun://key-123@)."""
    scheme, _, rest = url.partition("://")
    if not scheme.startswith("anymail+"):
        return environ.Env.email_url_config(url)
    esp = scheme.removeprefix("anymail+")
    api_key = rest.rpartition("@")[0]
    return {
        "EMAIL_BACKEND": f"anymail.backends.{esp}.EmailBackend",
        "ANYMAIL": {f"{esp.upper()}_API_KEY": api_key},
    }


def prefixed_env(prefix: str) -> dict[str, str]:
    """The environment's variables named `<prefix><NAME>` (the .env file's included), as
    {NAME: value}: settings of a library with open-ended names (django-anymail's)."""
    return {
        name.removeprefix(prefix): value
        for name, value in os.environ.items()
        if name.startswith(prefix) and name != prefix
    }
