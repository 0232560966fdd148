"""Email providers: the primary (EMAIL_URL) and an optional fallback (FALLBACK_EMAIL_URL), and
which failures fail over.

Any failure of the primary but a refused recipient — it is down, times out, answers 4xx, refuses
our credentials, our sender or the message — tries the fallback at once, and if that fails too
the outbox retries later. A refused recipient never fails over (the other provider would refuse
it too, and one person's mail through two providers hurts deliverability): it is final.
"""

import smtplib
from dataclasses import dataclass

from anymail.exceptions import AnymailInvalidAddress, AnymailRecipientsRefused
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from config.env import email_settings
from tenants.outbox import PermanentError, TransientError

_CONNECTION_KWARGS = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
    "EMAIL_FILE_PATH": "file_path",
}


@dataclass(frozen=True)
class Provider:
    name: str  # "primary:smtp", "fallback:anymail.mailgun": what a delivery row records
    backend: str
    kwargs: dict


def _short(backend: str) -> str:
    parts = backend.split(".")
    if parts[0] == "anymail":
        return f"anymail.{parts[2]}"
    return parts[-2] if parts[-1] == "EmailBackend" else parts[-1]


def providers() -> list[Provider]:
    """The providers to try, in order (read from settings at each call)."""
    primary = Provider(
        f"primary:{_short(settings.EMAIL_BACKEND)}",
        settings.EMAIL_BACKEND,
        {"timeout": settings.EMAIL_TIMEOUT},
    )
    if not settings.FALLBACK_EMAIL_URL:
        return [primary]
    config = email_settings(settings.FALLBACK_EMAIL_URL)
    kwargs = {arg: config[key] for key, arg in _CONNECTION_KWARGS.items() if config.get(key)}
    for key, value in config.get("ANYMAIL", {}).items():
        if key.endswith("_API_KEY"):
            kwargs["api_key"] = value
    backend = config["EMAIL_BACKEND"]
    kwargs.setdefault("timeout", settings.EMAIL_TIMEOUT)
    return [primary, Provider(f"fallback:{_short(backend)}", backend, kwargs)]


def _smtp_code(error: smtplib.SMTPException) -> int | None:
    return getattr(error, "smtp_code", None)


def is_refusal(error: Exception) -> bool:
    """True when the recipient was refused for good (no failover, no retry). Anything else —
    the provider down, slow, refusing our credentials, our sender or the message — is the
    provider's trouble: the fallback is tried, then the outbox retries."""
    if isinstance(error, AnymailRecipientsRefused | AnymailInvalidAddress):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # Every recipient refused; 4xx codes are "try later", 5xx are final.
        return all(code >= 500 for code, _ in error.recipients.values())
    return False


def send(message: EmailMessage) -> tuple[str, str]:
    """Send `message` through the first provider that takes it; return (provider name, the
    provider's message id). Raises PermanentError on a refusal, TransientError when every
    provider failed transiently (the outbox retries later)."""
    failures = []
    for provider in providers():
        message.connection = get_connection(
            provider.backend, fail_silently=False, **provider.kwargs
        )
        try:
            message.send()
        except SoftTimeLimitExceeded:
            raise  # out of time: no fallback now; the outbox records the attempt and retries
        except Exception as error:
            if is_refusal(error):
                raise PermanentError(f"{provider.name} refused: {_describe(error)}") from error
            failures.append(f"{provider.name}: {_describe(error)}")
            continue
        finally:
            message.connection = None
        return provider.name, _provider_message_id(message)
    raise TransientError("; ".join(failures))


def _provider_message_id(message: EmailMessage) -> str:
    status = getattr(message, "anymail_status", None)
    if status is not None and status.message_id:
        return str(status.message_id)
    return message.extra_headers.get("Message-ID", "")


def _describe(error: Exception) -> str:
    try:
        text = str(error)
    except Exception:  # an exception whose __str__ fails still gets recorded
        text = repr(error.args)
    return f"{type(error).__name__}: {text}"[:500]
