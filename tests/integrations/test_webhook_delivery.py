"""Sending webhook deliveries (integrations.webhooks.delivery through the outbox), with the
receiver mocked by `responses`: signatures the reference library accepts, the same id on every
retry, the Standard Webhooks schedule, redirects not followed, 410 and long failure disable
the endpoint, Retry-After honoured, refused destinations never contacted."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
import time_machine
from standardwebhooks import Webhook, WebhookVerificationError

from integrations.models import WEBHOOK_SCHEDULE, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from integrations.tasks import webhook_delivery_send_task
from integrations.webhooks.signing import secret_generate
from tenants.context import tenant_context
from tests.tickets.helpers import make_ticket

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/tenantdesk"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def receiver():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _endpoint(tenant, **fields) -> WebhookEndpoint:
    fields = {"url": URL, "events": ["ticket.created"], "secret": secret_generate(), **fields}
    with tenant_context(tenant):
        return WebhookEndpoint.objects.create(tenant=tenant, **fields)


def _delivery(tenant, endpoint) -> WebhookDelivery:
    """The delivery a new ticket's ticket.created writes for `endpoint`."""
    make_ticket(tenant)
    with tenant_context(tenant):
        return WebhookDelivery.objects.get(endpoint=endpoint, event_type="ticket.created")


def _send(row) -> str | None:
    return webhook_delivery_send_task(tenant_id=row.tenant_id, row_id=row.pk)


def _row(tenant, row) -> WebhookDelivery:
    with tenant_context(tenant):
        return WebhookDelivery.objects.get(pk=row.pk)


def _endpoint_now(tenant, endpoint) -> WebhookEndpoint:
    with tenant_context(tenant):
        return WebhookEndpoint.objects.get(pk=endpoint.pk)


def test_a_delivery_is_the_signed_event_the_reference_receiver_accepts(tenant, receiver):
    endpoint = _endpoint(tenant)
    receiver.post(URL, status=204)
    row = _delivery(tenant, endpoint)

    assert _send(row) == "sent"

    [call] = receiver.calls
    assert call.request.body == row.body.encode()
    payload = Webhook(endpoint.secret).verify(call.request.body, dict(call.request.headers))
    assert payload["type"] == "ticket.created"
    assert payload["data"]["number"] == 1
    assert payload["data"]["version"] == 1
    assert payload["data"]["event"]["id"] == str(row.event_id)
    assert call.request.headers["webhook-id"] == str(row.event_id)
    stored = _row(tenant, row)
    assert (stored.status, stored.attempts, stored.last_status_code) == ("sent", 1, 204)
    with tenant_context(tenant):
        [attempt] = WebhookAttempt.objects.filter(delivery=row)
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 204, "")
    assert _endpoint_now(tenant, endpoint).last_success_at is not None


def test_a_retry_carries_the_same_id_and_a_fresh_signed_timestamp(tenant, receiver):
    endpoint = _endpoint(tenant)
    receiver.post(URL, status=503)
    receiver.post(URL, status=200)
    with time_machine.travel(T0, tick=False):
        row = _delivery(tenant, endpoint)
        assert _send(row) == "pending"
        first = receiver.calls[0].request
        assert Webhook(endpoint.secret).verify(first.body, dict(first.headers))
    with time_machine.travel(T0 + timedelta(seconds=10), tick=False):
        assert _send(row) == "sent"
        second = receiver.calls[1].request
        assert Webhook(endpoint.secret).verify(second.body, dict(second.headers))

    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(row.event_id)
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) == 10
    assert first.body == second.body


def test_failures_follow_the_standard_webhooks_schedule_then_the_row_is_dead(tenant, receiver):
    endpoint = _endpoint(tenant)
    receiver.post(URL, status=500)
    now = T0
    with time_machine.travel(now, tick=False):
        row = _delivery(tenant, endpoint)
    waits = []
    for _ in WEBHOOK_SCHEDULE:
        with time_machine.travel(now, tick=False):
            assert _send(row) == "pending"
        due = _row(tenant, row).next_attempt_at
        waits.append((due - now).total_seconds())
        now = due

    with time_machine.travel(now, tick=False):
        assert _send(row) == "dead"

    # Each wait is the schedule's step with equal jitter: between half of it and all of it.
    assert all(step / 2 <= wait <= step for wait, step in zip(waits, WEBHOOK_SCHEDULE, strict=True))
    assert len(receiver.calls) == len(WEBHOOK_SCHEDULE) + 1 == 10
    assert "HTTP 500" in _row(tenant, row).last_error


def test_a_redirect_is_a_failure_and_is_not_followed(tenant, receiver):
    endpoint = _endpoint(tenant)
    receiver.post(URL, status=302, headers={"Location": "https://elsewhere.example.com/"})
    elsewhere = receiver.post("https://elsewhere.example.com/", status=200)
    row = _delivery(tenant, endpoint)

    assert _send(row) == "pending"

    assert elsewhere.call_count == 0
    stored = _row(tenant, row)
    assert (stored.last_status_code, stored.attempts) == (302, 1)
    assert "redirect" in stored.last_error


def test_410_gone_disables_the_endpoint_and_its_pending_deliveries_are_suppressed(tenant, receiver):
    endpoint = _endpoint(tenant, events=["*"])
    receiver.post(URL, status=410)
    row = _delivery(tenant, endpoint)
    with tenant_context(tenant):
        other = WebhookDelivery.objects.exclude(pk=row.pk).filter(endpoint=endpoint).first()

    assert _send(row) == "failed"

    gone = _endpoint_now(tenant, endpoint)
    assert (gone.active, gone.disabled_reason) == (False, "gone")
    assert gone.disabled_at is not None
    if other is not None:  # a second event of the same change (ticket.assigned…)
        assert _send(other) == "suppressed"
    make_ticket(tenant, customer_email="later@example.test")
    with tenant_context(tenant):
        assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == (2 if other else 1)


def test_retry_after_is_honoured_when_longer_than_the_schedule(tenant, receiver):
    endpoint = _endpoint(tenant)
    receiver.post(URL, status=429, headers={"Retry-After": "3600"})
    with time_machine.travel(T0, tick=False):
        row = _delivery(tenant, endpoint)
        assert _send(row) == "pending"

    assert _row(tenant, row).next_attempt_at == T0 + timedelta(seconds=3600)


def test_an_endpoint_failing_for_days_is_disabled(tenant, receiver, settings):
    settings.WEBHOOK_DISABLE_AFTER_DAYS = 5
    endpoint = _endpoint(tenant)
    receiver.post(URL, status=500)
    with time_machine.travel(T0, tick=False):
        row = _delivery(tenant, endpoint)
        _send(row)
    assert _endpoint_now(tenant, endpoint).active is True  # failing, not for long
    with tenant_context(tenant):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=T0 - timedelta(days=5, seconds=1)
        )
        due = WebhookDelivery.objects.get(pk=row.pk).next_attempt_at

    with time_machine.travel(due, tick=False):
        _send(row)

    stopped = _endpoint_now(tenant, endpoint)
    assert (stopped.active, stopped.disabled_reason) == (False, "failing")


def test_a_success_clears_the_failure_streak(tenant, receiver):
    endpoint = _endpoint(tenant)
    receiver.post(URL, status=500)
    receiver.post(URL, status=200)
    with time_machine.travel(T0, tick=False):
        row = _delivery(tenant, endpoint)
        _send(row)
    assert _endpoint_now(tenant, endpoint).failing_since == T0
    with time_machine.travel(T0 + timedelta(seconds=10), tick=False):
        _send(row)

    assert _endpoint_now(tenant, endpoint).failing_since is None


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "http://hooks.example.com/",
    ],
)
def test_a_refused_destination_fails_at_once_without_a_request(tenant, receiver, url):
    endpoint = _endpoint(tenant, url=url)
    row = _delivery(tenant, endpoint)

    assert _send(row) == "failed"

    assert len(receiver.calls) == 0
    stored = _row(tenant, row)
    assert stored.last_error.startswith("destination refused")
    with tenant_context(tenant):
        [attempt] = WebhookAttempt.objects.filter(delivery=row)
    assert attempt.status_code is None
    assert attempt.error.startswith("refused")


def test_a_delivery_to_a_switched_off_endpoint_is_suppressed(tenant, receiver):
    endpoint = _endpoint(tenant)
    row = _delivery(tenant, endpoint)
    with tenant_context(tenant):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)

    assert _send(row) == "suppressed"
    assert len(receiver.calls) == 0


def test_during_a_rotation_the_old_secret_verifies_until_it_expires(tenant, receiver):
    old, new = secret_generate(), secret_generate()
    endpoint = _endpoint(
        tenant, secret=new, previous_secret=old, previous_secret_expires_at=T0 + timedelta(hours=24)
    )
    receiver.post(URL, status=200)
    with time_machine.travel(T0, tick=False):
        rotating = _delivery(tenant, endpoint)
        _send(rotating)
        request = receiver.calls[0].request
        assert Webhook(old).verify(request.body, dict(request.headers))
        assert Webhook(new).verify(request.body, dict(request.headers))
    later = T0 + timedelta(hours=24, seconds=1)
    with time_machine.travel(later, tick=False):
        make_ticket(tenant, customer_email="later@example.test")
        with tenant_context(tenant):
            after = WebhookDelivery.objects.exclude(pk=rotating.pk).get(endpoint=endpoint)
        _send(after)
        request = receiver.calls[1].request
        assert Webhook(new).verify(request.body, dict(request.headers))
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(request.body, dict(request.headers))

    assert len(request.headers["webhook-signature"].split(" ")) == 1


def test_an_event_over_the_payload_cap_goes_out_thin(tenant, settings):
    settings.OUTBOUND_MAX_BODY_BYTES = 200
    endpoint = _endpoint(tenant)

    row = _delivery(tenant, endpoint)

    body = json.loads(row.body)
    assert len(row.body) <= 200
    assert body["data"] == {
        "number": 1,
        "version": 1,
        "truncated": True,
        "event": {"id": str(row.event_id)},
    }
    assert body["type"] == "ticket.created"


def test_an_event_under_the_cap_goes_out_whole(tenant):
    row = _delivery(tenant, _endpoint(tenant))

    body = json.loads(row.body)
    assert "truncated" not in body["data"]
    assert body["data"]["requester"]


def test_a_success_does_not_rewrite_an_endpoint_stamped_a_moment_ago(tenant, receiver):
    endpoint = _endpoint(tenant, events=["*"])
    receiver.post(URL, status=200)
    with time_machine.travel(T0, tick=False):
        _send(_delivery(tenant, endpoint))
    stamped = _endpoint_now(tenant, endpoint)
    make_ticket(tenant, customer_email="next@example.test")
    with tenant_context(tenant):
        later = WebhookDelivery.objects.filter(endpoint=endpoint, status="pending").first()

    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        _send(later)
    unchanged = _endpoint_now(tenant, endpoint)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        make_ticket(tenant, customer_email="much-later@example.test")
        with tenant_context(tenant):
            last = WebhookDelivery.objects.filter(endpoint=endpoint, status="pending").first()
        _send(last)

    assert stamped.last_success_at == T0
    assert (unchanged.last_success_at, unchanged.version) == (T0, stamped.version)
    assert _endpoint_now(tenant, endpoint).last_success_at == T0 + timedelta(minutes=2)


def test_a_response_body_with_nul_bytes_is_logged_not_fatal(tenant, receiver):
    endpoint = _endpoint(tenant)
    receiver.post(URL, status=200, body=b"ok\x00\x01binary")
    row = _delivery(tenant, endpoint)

    assert _send(row) == "sent"

    with tenant_context(tenant):
        [attempt] = WebhookAttempt.objects.filter(delivery=row)
    assert attempt.status_code == 200
    assert "\x00" not in attempt.response_body
    assert attempt.response_body.startswith("ok")


@pytest.mark.parametrize("value", ["99999999999999999999", "31536000000"])
def test_an_enormous_retry_after_waits_at_most_the_longest_step(tenant, receiver, value):
    endpoint = _endpoint(tenant)
    receiver.post(URL, status=503, headers={"Retry-After": value})
    with time_machine.travel(T0, tick=False):
        row = _delivery(tenant, endpoint)
        assert _send(row) == "pending"

    assert _row(tenant, row).next_attempt_at == T0 + timedelta(seconds=max(WEBHOOK_SCHEDULE))


def test_an_unreadable_retry_after_is_ignored(tenant, receiver):
    endpoint = _endpoint(tenant)
    receiver.post(URL, status=503, headers={"Retry-After": "²"})
    with time_machine.travel(T0, tick=False):
        row = _delivery(tenant, endpoint)
        assert _send(row) == "pending"

    assert _row(tenant, row).next_attempt_at <= T0 + timedelta(seconds=WEBHOOK_SCHEDULE[0])
