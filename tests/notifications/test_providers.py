"""Failover between the primary and the fallback provider: on transient failures only, never
on a refusal; the row records who sent it; every provider down → a retry later."""

import smtplib

import pytest
import requests
from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused

from notifications import providers
from tenants.context import tenant_context
from tests.notifications.backends import FailingBackend
from tests.notifications.helpers import deliver, deliveries
from tests.notifications.recipes import email_delivery_recipe

pytestmark = pytest.mark.django_db


@pytest.fixture
def primary_fails(settings):
    """The primary is FailingBackend; the fallback is Django's locmem backend (mailoutbox)."""
    settings.EMAIL_BACKEND = "tests.notifications.backends.FailingBackend"
    settings.FALLBACK_EMAIL_URL = "memorymail://"
    FailingBackend.attempts = []

    def fail_with(error):
        FailingBackend.error = error

    yield fail_with
    FailingBackend.error = None


@pytest.fixture
def row(tenant, member):
    from tenants.models import Role

    newcomer = member(Role.AGENT)
    with tenant_context(tenant):
        return email_delivery_recipe.make(
            tenant=tenant,
            kind="member_added",
            recipient=newcomer.user.email,
            recipient_user=newcomer.user,
        )


def _api_error(status_code):
    """What an anymail backend raises when the ESP's API answers `status_code` (None: no
    answer at all)."""
    if status_code is None:
        return AnymailAPIError("ESP unreachable")
    response = requests.Response()
    response.status_code, response.reason = status_code, "Reason"
    response._content = b'{"message": "no"}'
    return AnymailAPIError("ESP error", status_code=status_code, response=response)


TRANSIENT = [
    pytest.param(smtplib.SMTPServerDisconnected("gone"), id="smtp-disconnected"),
    pytest.param(smtplib.SMTPConnectError(421, b"try later"), id="smtp-connect-421"),
    pytest.param(smtplib.SMTPAuthenticationError(535, b"bad credentials"), id="smtp-auth"),
    pytest.param(smtplib.SMTPDataError(451, b"local error"), id="smtp-data-451"),
    pytest.param(
        smtplib.SMTPRecipientsRefused({"x@example.test": (450, b"mailbox busy")}), id="rcpt-450"
    ),
    pytest.param(TimeoutError("timed out"), id="timeout"),
    pytest.param(ConnectionRefusedError("refused"), id="connection-refused"),
    pytest.param(_api_error(503), id="esp-503"),
    pytest.param(_api_error(429), id="esp-429"),
    pytest.param(_api_error(None), id="esp-no-response"),
    # The provider refusing our sender or the message (a misconfigured primary): the other
    # provider may well take it.
    pytest.param(smtplib.SMTPSenderRefused(553, b"sender not verified", "x"), id="sender-553"),
    pytest.param(smtplib.SMTPDataError(554, b"account suspended"), id="smtp-data-554"),
    pytest.param(_api_error(400), id="esp-400"),
]
REFUSALS = [
    pytest.param(
        smtplib.SMTPRecipientsRefused({"x@example.test": (550, b"no such user")}), id="rcpt-550"
    ),
    pytest.param(AnymailRecipientsRefused("all recipients refused"), id="anymail-refused"),
    pytest.param(AnymailInvalidAddress("not an address"), id="anymail-invalid-address"),
]


@pytest.mark.parametrize("error", TRANSIENT)
def test_a_transient_failure_fails_over_and_records_the_fallback(
    primary_fails, row, mailoutbox, error
):
    primary_fails(error)

    status = deliver(row)

    [sent] = deliveries(row.tenant)
    assert status == "sent" == sent.status
    assert len(FailingBackend.attempts) == 1  # the primary was tried first
    assert [m.to for m in mailoutbox] == [[row.recipient]]
    assert sent.provider == "fallback:locmem"
    assert sent.provider_message_id == sent.message_id


@pytest.mark.parametrize("error", REFUSALS)
def test_a_refusal_never_fails_over_and_is_final(primary_fails, row, mailoutbox, error):
    primary_fails(error)

    status = deliver(row)

    [failed] = deliveries(row.tenant)
    assert status == "failed" == failed.status
    assert mailoutbox == []  # the fallback was not asked
    assert failed.last_error.startswith("primary:FailingBackend refused")


def test_without_a_fallback_a_transient_failure_is_retried_later(settings, row, mailoutbox):
    settings.EMAIL_BACKEND = "tests.notifications.backends.FailingBackend"
    settings.FALLBACK_EMAIL_URL = ""
    FailingBackend.error = smtplib.SMTPServerDisconnected("gone")
    try:
        status = deliver(row)
    finally:
        FailingBackend.error = None

    [pending] = deliveries(row.tenant)
    assert status == "pending" == pending.status
    assert pending.last_error == "primary:FailingBackend: SMTPServerDisconnected: gone"
    assert mailoutbox == []


def test_both_providers_down_is_a_retry_that_names_both(settings, row):
    settings.EMAIL_BACKEND = "tests.notifications.backends.FailingBackend"
    settings.FALLBACK_EMAIL_URL = "smtp://127.0.0.1:9"  # nothing listens on the discard port
    FailingBackend.error = TimeoutError("timed out")
    try:
        deliver(row)
    finally:
        FailingBackend.error = None

    [pending] = deliveries(row.tenant)
    assert pending.status == "pending"
    assert "primary:FailingBackend: TimeoutError" in pending.last_error
    assert "fallback:smtp:" in pending.last_error


def test_providers_read_the_fallback_url(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.FALLBACK_EMAIL_URL = "smtp+tls://user:secret@mail.example.test:587"

    primary, fallback = providers.providers()

    assert primary.name == "primary:smtp"
    assert fallback.name == "fallback:smtp"
    assert fallback.kwargs == {
        "host": "mail.example.test",
        "port": 587,
        "username": "user",
        "password": "secret",
        "use_tls": True,
        "timeout": 15,
    }


def test_an_esp_fallback_goes_through_anymail(settings):
    settings.FALLBACK_EMAIL_URL = "anymail+mailgun://key-123@"

    _, fallback = providers.providers()

    assert fallback.backend == "anymail.backends.mailgun.EmailBackend"
    assert fallback.name == "fallback:anymail.mailgun"
    assert fallback.kwargs["api_key"] == "key-123"


def test_running_out_of_time_is_not_a_failover(primary_fails, row, mailoutbox):
    from celery.exceptions import SoftTimeLimitExceeded

    primary_fails(SoftTimeLimitExceeded())

    status = deliver(row)

    assert status == "pending"  # recorded, retried later; the fallback was not started
    assert mailoutbox == []
