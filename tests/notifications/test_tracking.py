"""Providers' tracking webhooks (through django-anymail, Mailgun's signed JSON here): a hard
bounce or a complaint suppresses the address in that tenant; a suppressed address is never
emailed again and the row says why; forged or replayed events change nothing more."""

import hashlib
import hmac
import json
import time
import uuid

import pytest

from notifications.models import EmailSuppression
from tenants.context import tenant_context
from tenants.models import Role
from tests.notifications.helpers import deliver, deliveries
from tests.notifications.recipes import email_delivery_recipe

pytestmark = pytest.mark.django_db

SIGNING_KEY = "mailgun-signing-key"
URL = "/anymail/mailgun/tracking/"


@pytest.fixture(autouse=True)
def mailgun(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


def _signed(event_data, *, key=SIGNING_KEY, token=None):
    token = token or uuid.uuid4().hex
    timestamp = str(int(time.time()))
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": event_data,
    }


def _event(row, tenant, event, **extra):
    return {
        "event": event,
        "timestamp": time.time(),
        "recipient": row.recipient,
        "user-variables": {"tenant": tenant.slug, "delivery": str(row.public_id)},
        "message": {"headers": {"message-id": "abc@mailgun.test"}},
        **extra,
    }


def _post(client, payload):
    return client.post(URL, json.dumps(payload), content_type="application/json")


@pytest.fixture
def row(tenant, member):
    person = member(Role.AGENT)
    with tenant_context(tenant):
        return email_delivery_recipe.make(
            tenant=tenant,
            kind="member_added",
            status="sent",
            recipient=person.user.email,
            recipient_user=person.user,
        )


def _suppressed(tenant):
    with tenant_context(tenant):
        return list(EmailSuppression.objects.values_list("email", "reason", "provider"))


def test_a_hard_bounce_suppresses_the_address_in_that_tenant_only(
    client, tenant, other_tenant, row
):
    response = _post(client, _signed(_event(row, tenant, "failed", severity="permanent")))

    assert response.status_code == 200
    assert _suppressed(tenant) == [(row.recipient, "bounce", "Mailgun")]
    assert _suppressed(other_tenant) == []
    assert deliveries(tenant)[0].tracking_status == "bounced"


def test_a_complaint_suppresses_the_address(client, tenant, row):
    _post(client, _signed(_event(row, tenant, "complained")))

    assert _suppressed(tenant) == [(row.recipient, "complaint", "Mailgun")]


def test_a_temporary_failure_is_deferred_not_suppressed(client, tenant, row):
    _post(client, _signed(_event(row, tenant, "failed", severity="temporary")))

    assert _suppressed(tenant) == []
    assert deliveries(tenant)[0].tracking_status == "deferred"


def test_delivered_is_recorded(client, tenant, row):
    _post(client, _signed(_event(row, tenant, "delivered")))

    assert deliveries(tenant)[0].tracking_status == "delivered"


def test_a_replayed_bounce_changes_nothing_more(client, tenant, row):
    payload = _signed(_event(row, tenant, "failed", severity="permanent"), token="same-token")

    first, second = _post(client, payload), _post(client, payload)

    assert first.status_code == second.status_code == 200
    assert len(_suppressed(tenant)) == 1


def test_a_forged_bounce_is_refused_and_changes_nothing(client, tenant, row):
    forged = _signed(_event(row, tenant, "failed", severity="permanent"), key="guessed-key")

    response = _post(client, forged)

    assert response.status_code == 400
    assert _suppressed(tenant) == []
    assert deliveries(tenant)[0].tracking_status == ""


def test_an_event_naming_an_unknown_tenant_is_dropped(client, tenant, row):
    event = _event(row, tenant, "complained")
    event["user-variables"]["tenant"] = "no-such-tenant"

    response = _post(client, _signed(event))

    assert response.status_code == 200  # the ESP must not retry it forever
    assert _suppressed(tenant) == []


def test_a_suppressed_address_is_skipped_and_the_row_says_why(
    client, tenant, row, member, mailoutbox
):
    _post(client, _signed(_event(row, tenant, "complained")))
    with tenant_context(tenant):
        again = email_delivery_recipe.make(
            tenant=tenant,
            kind="member_added",
            recipient=row.recipient,
            recipient_user=row.recipient_user,
        )

    status = deliver(again)

    assert status == "suppressed"
    assert deliveries(tenant, pk=again.pk)[0].last_error == "the address is suppressed (complaint)"
    assert mailoutbox == []


def test_a_sent_email_carries_the_metadata_its_events_come_back_with(tenant, member, mailoutbox):
    person = member(Role.AGENT)
    with tenant_context(tenant):
        row = email_delivery_recipe.make(
            tenant=tenant,
            kind="member_added",
            recipient=person.user.email,
            recipient_user=person.user,
        )

    deliver(row)

    [email] = mailoutbox
    assert email.metadata == {"tenant": tenant.slug, "delivery": str(row.public_id)}
    assert email.tags == ["member_added"]


def test_an_unauthenticated_provider_webhook_suppresses_no_one(client, tenant, row, settings):
    # Postmark does not sign its webhooks: without a basic-auth secret anyone could call it.
    settings.ANYMAIL = {}
    forged = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "Email": row.recipient,
        "MessageID": "abc",
        "Metadata": {"tenant": tenant.slug, "delivery": str(row.public_id)},
    }

    response = client.post(
        "/anymail/postmark/tracking/", json.dumps(forged), content_type="application/json"
    )

    assert response.status_code == 200  # anymail answers; our handler drops it
    assert _suppressed(tenant) == []
    assert deliveries(tenant)[0].tracking_status == ""


def test_an_event_cannot_suppress_an_address_the_email_did_not_go_to(client, tenant, row):
    event = _event(row, tenant, "complained")
    event["recipient"] = "someone.else@example.test"

    _post(client, _signed(event))

    assert _suppressed(tenant) == []


def test_an_event_for_an_unknown_delivery_suppresses_no_one(client, tenant, row):
    event = _event(row, tenant, "complained")
    event["user-variables"]["delivery"] = str(uuid.uuid4())
    event["message"]["headers"]["message-id"] = "unknown@mailgun.test"

    _post(client, _signed(event))

    assert _suppressed(tenant) == []
