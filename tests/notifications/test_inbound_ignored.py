"""Automatic replies, bounces and spam never file a ticket or a comment, and never get an
answer (no mail loop): they are recorded as ignored, with the reason."""

import pytest

from notifications.models import InboundStatus
from tests.notifications.helpers import deliveries
from tests.notifications.inbound_helpers import (
    comments_on,
    email,
    inbound_rows,
    post_email,
    receive,
    secret_for,
    tickets_of,
)
from tests.tickets.helpers import make_ticket

pytestmark = pytest.mark.django_db

REPORT = (
    b"From: Mail Delivery System <mailer@mx.example.test>\r\n"
    b"To: support+alpha@tenantdesk.local\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\n"
    b"Message-ID: <dsn-1@mx.example.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain\r\n\r\nI could not deliver your message.\r\n"
    b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.example.test\r\n\r\n"
    b"Final-Recipient: rfc822; ann@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"--b--\r\n"
)

AUTOMATIC = [
    pytest.param({"Auto-Submitted": "auto-replied"}, None, "auto_submitted", id="auto-replied"),
    pytest.param({"Auto-Submitted": "auto-generated"}, None, "auto_submitted", id="auto-gen"),
    pytest.param(
        {"Auto-Submitted": "auto-notified; owner-email=x@example.test"},
        None,
        "auto_submitted",
        id="auto-notified-with-parameter",
    ),
    pytest.param({"Precedence": "bulk"}, None, "precedence_bulk", id="precedence-bulk"),
    pytest.param({"Precedence": "Junk"}, None, "precedence_junk", id="precedence-junk"),
    pytest.param({"Precedence": "list"}, None, "precedence_list", id="precedence-list"),
    pytest.param({"X-Autoreply": "yes"}, None, "auto_reply", id="x-autoreply"),
    pytest.param({"X-Autorespond": "Out of office"}, None, "auto_reply", id="x-autorespond"),
    pytest.param({"Return-Path": "<>"}, None, "null_sender", id="null-return-path"),
    pytest.param({}, "MAILER-DAEMON@mx.example.test", "bounce", id="mailer-daemon"),
    pytest.param({}, "Postmaster <postmaster@example.test>", "bounce", id="postmaster"),
]


@pytest.mark.parametrize(("headers", "sender", "reason"), AUTOMATIC)
def test_an_automatic_message_files_nothing_and_is_recorded_with_its_reason(
    tenant, headers, sender, reason
):
    ticket = make_ticket(tenant, customer_email="ann@example.test")
    raw = email(
        sender=sender or "Ann <ann@example.test>",
        subject=f"Out of office Re: [#{ticket.number}]",
        headers=headers,
    )

    result = receive(tenant, raw)

    assert (result.result, result.reason, result.ticket) == ("ignored", reason, None)
    assert [t.number for t in tickets_of(tenant)] == [ticket.number]
    assert comments_on(tenant, ticket.number) == []
    [row] = inbound_rows(tenant)
    assert (row.status, row.reason, row.sender, row.customer_id) == (
        InboundStatus.IGNORED,
        reason,
        "",
        None,
    )


def test_auto_submitted_no_is_a_person_writing(tenant):
    result = receive(tenant, email(headers={"Auto-Submitted": "no", "Precedence": "first-class"}))

    assert result.result == "created"


def test_a_delivery_status_report_is_a_bounce(tenant):
    result = receive(tenant, REPORT)

    assert (result.result, result.reason) == ("ignored", "report")
    assert tickets_of(tenant) == []


def test_a_bounce_without_a_usable_from_is_ignored_not_refused(tenant):
    raw = email(sender=None, headers={"Return-Path": "<>", "Auto-Submitted": "auto-replied"})

    result = receive(tenant, raw)

    assert (result.result, result.reason) == ("ignored", "auto_submitted")


def test_a_null_envelope_sender_reported_by_the_esp_is_a_bounce(tenant):
    result = receive(tenant, email(), envelope_sender="")

    assert (result.result, result.reason) == ("ignored", "null_sender")


def test_a_known_envelope_sender_is_no_bounce(tenant):
    result = receive(tenant, email(), envelope_sender="ann@example.test")

    assert result.result == "created"


def test_spam_by_the_esps_verdict_is_ignored(tenant):
    result = receive(tenant, email(), spam=True)

    assert (result.result, result.reason) == ("ignored", "spam")
    assert tickets_of(tenant) == []


def test_an_ignored_message_is_answered_202_and_never_emailed(
    tenant, django_capture_on_commit_callbacks, mailoutbox
):
    secret = secret_for(tenant)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_email(
            tenant, email(headers={"Auto-Submitted": "auto-replied"}), secret=secret
        )

    assert response.status_code == 202
    assert response.json()["result"] == "ignored"
    assert deliveries(tenant) == [] and mailoutbox == []


def test_an_ignored_message_redelivered_is_a_duplicate(tenant):
    raw = email(headers={"Precedence": "bulk"})

    first, again = receive(tenant, raw), receive(tenant, raw)

    assert (first.result, again.result) == ("ignored", "duplicate")
