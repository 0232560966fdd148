"""The one place settings read the environment (django-environ)."""

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
