"""Inbound email through an ESP, tested through django-anymail's real Mailgun inbound webhook:
the signature (and basic auth) are checked by anymail, the tenant comes from the signed
envelope recipient (never the message's headers), and a forged call writes nothing."""

import base64
import hashlib
import hmac
import json
import logging
import time

import pytest
from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, inbound

from config.env import prefixed_env
from notifications.inbound.esp import inbound_recipient_tenants
from tenants.access import Actor
from tenants.services import tenant_delete
from tests.notifications.inbound_helpers import email, inbound_rows, tickets_of, written

pytestmark = pytest.mark.django_db

SIGNING_KEY = "mailgun-signing-key-for-tests"
BASIC = "anymail:webhook-password"
URL = "/anymail/mailgun/inbound_mime/"
ALPHA = "support+alpha@tenantdesk.local"


@pytest.fixture(autouse=True)
def _anymail(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": BASIC}


def _signed(key: str = SIGNING_KEY) -> dict[str, str]:
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    return {"timestamp": timestamp, "token": token, "signature": signature.hexdigest()}


def _auth(credentials: str = BASIC) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def _post(client, raw: bytes, *, recipient: str = ALPHA, sender="ann@example.test", **kwargs):
    data = {"body-mime": raw.decode(), "recipient": recipient, "sender": sender}
    data.update(kwargs.pop("signature", _signed()))
    return client.post(URL, data, **{**_auth(), **kwargs})


def test_a_signed_mailgun_message_files_in_the_envelope_recipients_tenant(
    client, tenant, other_tenant
):
    raw = email(to="support+bravo@tenantdesk.local", headers={"Cc": "support+bravo@x.test"})

    response = _post(client, raw)

    assert response.status_code == 200, response.content
    [ticket] = tickets_of(tenant)
    assert (ticket.channel, ticket.requester.email) == ("email", "ann@example.test")
    [row] = inbound_rows(tenant)
    assert (row.source, row.status) == ("anymail:mailgun", "created")
    assert tickets_of(other_tenant) == []


def test_mailguns_fully_parsed_form_is_filed_too(client, tenant):
    headers = [
        ["From", "Ann <ann@example.test>"],
        ["To", ALPHA],
        ["Subject", "Parsed by Mailgun"],
        ["Message-Id", "<parsed-1@mail.example.test>"],
    ]
    data = {
        "recipient": ALPHA,
        "sender": "ann@example.test",
        "message-headers": json.dumps(headers),
        "body-plain": "Sent as fields.",
        **_signed(),
    }

    response = client.post("/anymail/mailgun/inbound/", data, **_auth())

    assert response.status_code == 200, response.content
    [ticket] = tickets_of(tenant)
    assert (ticket.subject, ticket.description) == ("Parsed by Mailgun", "Sent as fields.")


def test_a_redelivered_webhook_files_the_message_once(client, tenant):
    raw = email(msgid="<once@mail.example.test>")

    statuses = [_post(client, raw).status_code for _ in range(2)]

    assert statuses == [200, 200]
    assert len(tickets_of(tenant)) == 1
    assert [row.status for row in inbound_rows(tenant)] == ["created"]


def test_a_bounce_with_the_null_envelope_sender_is_ignored(client, tenant):
    response = _post(client, email(), sender="")

    assert response.status_code == 200
    assert [(r.status, r.reason) for r in inbound_rows(tenant)] == [("ignored", "null_sender")]
    assert tickets_of(tenant) == []


@pytest.mark.parametrize(
    "signature",
    [
        _signed("not-the-signing-key"),
        {**_signed(), "signature": "0" * 64},
        {"timestamp": "1", "token": "t"},
    ],
    ids=["wrong-key", "forged", "missing"],
)
def test_a_forged_signature_is_rejected_and_writes_nothing(client, tenant, signature):
    response = _post(client, email(), signature=signature)

    assert response.status_code == 400
    assert written(tenant)["inbound"] == written(tenant)["tickets"] == 0


def test_a_call_without_the_webhook_basic_auth_is_rejected(client, tenant):
    raw = email()

    missing = client.post(
        URL, {"body-mime": raw.decode(), "recipient": ALPHA, "sender": "a@b.test", **_signed()}
    )
    wrong = _post(client, raw, HTTP_AUTHORIZATION=_auth("anymail:guess")["HTTP_AUTHORIZATION"])

    assert (missing.status_code, wrong.status_code) == (400, 400)
    assert tickets_of(tenant) == []


@pytest.mark.parametrize(
    "recipient",
    ["support+nobody@tenantdesk.local", "support@tenantdesk.local", "support+alpha@evil.test", ""],
    ids=["unknown-tenant", "no-slug", "other-domain", "none"],
)
def test_an_unmapped_envelope_recipient_is_dropped_and_logged(client, tenant, caplog, recipient):
    with caplog.at_level(logging.WARNING, logger="notifications.inbound.esp"):
        response = _post(client, email(to=ALPHA), recipient=recipient)

    assert response.status_code == 200  # accepted, so the ESP does not retry forever
    assert written(tenant)["inbound"] == written(tenant)["tickets"] == 0
    assert "no tenant for its envelope recipient" in caplog.text


def test_a_malformed_message_from_the_esp_is_dropped_and_logged(client, tenant, caplog):
    with caplog.at_level(logging.WARNING, logger="notifications.inbound.esp"):
        response = _post(client, email(sender=None))

    assert response.status_code == 200
    assert written(tenant)["inbound"] == 0
    assert "inbound email dropped" in caplog.text


def test_an_esp_webhook_without_authentication_files_nothing(tenant, settings, caplog):
    # Anymail accepts an unsigned ESP's calls when no WEBHOOK_SECRET is set: anyone could post.
    settings.ANYMAIL = {}
    message = AnymailInboundMessage.parse_raw_mime_bytes(email())
    message.envelope_recipient = ALPHA

    with caplog.at_level(logging.ERROR, logger="notifications.inbound.esp"):
        inbound.send(
            sender=object,
            event=AnymailInboundEvent(event_type="inbound", message=message),
            esp_name="Postmark",
        )

    assert written(tenant)["inbound"] == 0
    assert "not authenticated" in caplog.text


def test_an_esp_webhook_with_basic_auth_files_the_message(tenant):
    message = AnymailInboundMessage.parse_raw_mime_bytes(email())
    message.envelope_recipient = ALPHA

    inbound.send(
        sender=object,
        event=AnymailInboundEvent(event_type="inbound", message=message),
        esp_name="Postmark",
    )

    assert [row.source for row in inbound_rows(tenant)] == ["anymail:postmark"]


def test_envelope_recipients_map_to_active_tenants_through_the_address_pattern(
    tenant, other_tenant
):
    tenant_delete(tenant=other_tenant, actor=Actor())

    assert inbound_recipient_tenants("Support <SUPPORT+Alpha@TenantDesk.Local>") == [tenant]
    assert inbound_recipient_tenants(f"{ALPHA}, support+alpha@tenantdesk.local") == [tenant]
    assert inbound_recipient_tenants("support+bravo@tenantdesk.local") == []
    assert inbound_recipient_tenants("support+alpha@tenantdesk.local.evil.test") == []
    assert inbound_recipient_tenants(None) == []


def test_a_custom_address_pattern_is_read_back(tenant, settings):
    settings.INBOUND_EMAIL_ADDRESS = "{slug}@in.example.test"

    assert inbound_recipient_tenants("alpha@in.example.test") == [tenant]
    assert inbound_recipient_tenants(ALPHA) == []


def test_anymail_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ANYMAIL_WEBHOOK_SECRET", "u:p")
    monkeypatch.setenv("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY", "k")
    monkeypatch.setenv("ANYMAIL_", "ignored")

    assert prefixed_env("ANYMAIL_") == {"WEBHOOK_SECRET": "u:p", "MAILGUN_WEBHOOK_SIGNING_KEY": "k"}
