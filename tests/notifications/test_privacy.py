"""Personal data in the email log: an erased customer's address and subjects go, unsent
emails to them are never sent; a reset asked for an unknown address sends nothing."""

import pytest

from notifications.models import AccountEmail, EmailDelivery
from tenants import services as tenant_services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.notifications.helpers import deliver, deliveries
from tests.tickets.helpers import make_ticket
from tickets.models import Customer
from tickets.services.gdpr import customer_erase

pytestmark = pytest.mark.django_db


def test_erasing_a_customer_scrubs_their_emails_and_stops_the_unsent_ones(
    tenant, member, mailoutbox, django_capture_on_commit_callbacks
):
    admin = member(Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(tenant, customer_email="carol@example.test", subject="My secret problem")
    make_ticket(tenant, customer_email="carol@example.test", subject="Another")  # not sent yet
    make_ticket(tenant, customer_email="dave@example.test")  # someone else's

    with tenant_context(tenant):
        customer_erase(
            tenant=tenant,
            actor=Actor(user=admin.user, role=Role.ADMIN),
            customer=Customer.objects.get(email="carol@example.test"),
        )

    rows = {(r.recipient, r.status, r.subject, r.last_error) for r in deliveries(tenant)}
    assert rows == {
        ("erased@erased.invalid", "sent", "", ""),
        ("erased@erased.invalid", "suppressed", "", "the customer was erased"),
        ("dave@example.test", "pending", "", ""),
    }
    assert "carol" not in str([vars(r) for r in deliveries(tenant)])
    pending = deliveries(tenant, recipient="erased@erased.invalid", status="suppressed")[0]
    assert deliver(pending) is None  # suppressed is final: never sent
    assert len(mailoutbox) == 1


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_why(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tenant_services.password_reset_request(email="nobody@example.test")

    [row] = AccountEmail.objects.all()
    assert (row.kind, row.status, row.last_error) == (
        "password_reset",
        "suppressed",
        "no active account for this email",
    )
    assert mailoutbox == []


def test_erasure_also_clears_subjects_sent_to_the_team_and_errors_naming_the_address(
    tenant, member, mailoutbox, django_capture_on_commit_callbacks
):
    admin, agent = member(Role.ADMIN), member(Role.AGENT)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(
            tenant, customer_email="carol@example.test", subject="My secret problem"
        )
    with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
        from tickets import services

        services.ticket_update(
            tenant=tenant,
            actor=Actor(user=admin.user, role=Role.ADMIN),
            ticket=ticket,
            assignee=agent.user,
        )
        EmailDelivery.objects.filter(kind="ticket_received").update(
            last_error="SMTPRecipientsRefused: {'carol@example.test': (450, 'busy')}"
        )

    with tenant_context(tenant):
        customer_erase(
            tenant=tenant,
            actor=Actor(user=admin.user, role=Role.ADMIN),
            customer=Customer.objects.get(email="carol@example.test"),
        )

    log = str([(r.recipient, r.subject, r.last_error) for r in deliveries(tenant)])
    assert "secret problem" not in log
    assert "carol" not in log
    assert {r.kind for r in deliveries(tenant)} == {"ticket_received", "assigned_to_you"}
