"""Who gets which email about a ticket, and what it looks like: templates with the tenant's
name, [#number] subjects, threading headers, the reply-to address, safe headers."""

import pytest

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.events import publish
from tenants.models import Role
from tests.notifications.helpers import deliver, deliveries, kinds
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.events import TicketEscalated, TicketSlaBreached
from tickets.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(member):
    return member(Role.AGENT, user_fields={"email": "agent@alpha.test", "name": "Ann Agent"})


@pytest.fixture
def as_agent(agent):
    return Actor(user=agent.user, role=Role.AGENT)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks (the delivery tasks, eagerly) when it ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _ticket(tenant, committed, **fields):
    with committed():
        return make_ticket(tenant, customer_email="carol@example.test", **fields)


def test_the_requester_is_told_their_request_was_received(tenant, committed, mailoutbox):
    ticket = _ticket(tenant, committed, subject="Printer jammed")

    [email] = mailoutbox
    assert email.to == ["carol@example.test"]
    assert email.subject == f"[#{ticket.number}] Received: Printer jammed"
    assert "Printer jammed" in email.body and "Alpha Co" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html" and "Printer jammed" in html and "Alpha Co" in html
    [row] = deliveries(tenant)
    assert (row.status, row.kind, row.ticket_number) == ("sent", "ticket_received", ticket.number)
    assert (row.provider, row.provider_message_id) == ("primary:locmem", row.message_id)


def test_emails_about_one_ticket_thread_together(tenant, committed, mailoutbox, as_agent):
    ticket = _ticket(tenant, committed)
    with committed(), tenant_context(tenant):
        services.comment_create(tenant=tenant, actor=as_agent, ticket=ticket, body="On it")

    received, reply = mailoutbox
    root = f"<ticket-{ticket.public_id}@tenantdesk.local>"
    for email in (received, reply):
        assert email.extra_headers["References"] == root
        assert email.extra_headers["In-Reply-To"] == root
        assert email.extra_headers["Auto-Submitted"] == "auto-generated"
        assert email.reply_to == ["Alpha Co <support+alpha@tenantdesk.local>"]
        assert email.from_email == "Alpha Co <no-reply@tenantdesk.local>"
    assert received.extra_headers["Message-ID"] != reply.extra_headers["Message-ID"]
    rows = deliveries(tenant)
    assert [r.message_id for r in rows] == [
        received.extra_headers["Message-ID"],
        reply.extra_headers["Message-ID"],
    ]


def test_a_public_reply_reaches_the_requester_with_its_text(
    tenant, committed, mailoutbox, as_agent
):
    ticket = _ticket(tenant, committed, subject="Login fails")
    mailoutbox.clear()

    with committed(), tenant_context(tenant):
        services.comment_create(
            tenant=tenant, actor=as_agent, ticket=ticket, body="Try <b>resetting</b> it."
        )

    [email] = mailoutbox
    assert email.subject == f"[#{ticket.number}] Re: Login fails"
    assert "Ann Agent replied" in email.body and "Try <b>resetting</b> it." in email.body
    html = email.alternatives[0][0]
    assert "Try &lt;b&gt;resetting&lt;/b&gt; it." in html  # escaped in HTML


def test_an_internal_note_emails_no_one(tenant, committed, mailoutbox, as_agent):
    ticket = _ticket(tenant, committed)
    mailoutbox.clear()

    with committed(), tenant_context(tenant):
        services.comment_create(
            tenant=tenant, actor=as_agent, ticket=ticket, body="secret", public=False
        )

    assert mailoutbox == []
    assert [r.kind for r in deliveries(tenant)] == ["ticket_received"]


def test_the_requester_is_told_when_the_ticket_is_resolved(tenant, committed, mailoutbox):
    ticket = _ticket(tenant, committed, subject="Refund")

    with committed(), tenant_context(tenant):
        services.ticket_update(tenant=tenant, actor=Actor(), ticket=ticket, status="resolved")

    assert kinds(mailoutbox)[-1] == ("carol@example.test", f"[#{ticket.number}] Resolved: Refund")


@pytest.mark.parametrize("status", ["in_progress", "pending", "closed"])
def test_other_status_moves_email_no_one(tenant, committed, mailoutbox, status):
    ticket = _ticket(tenant, committed)
    mailoutbox.clear()

    with committed(), tenant_context(tenant):
        services.ticket_update(tenant=tenant, actor=Actor(), ticket=ticket, status=status)

    assert mailoutbox == []


def test_the_assignee_is_told_unless_they_took_it_themselves(
    tenant, committed, mailoutbox, agent, as_agent, member
):
    supervisor = member(Role.SUPERVISOR)
    ticket = _ticket(tenant, committed, subject="VPN")
    mailoutbox.clear()

    with committed(), tenant_context(tenant):
        services.ticket_update(
            tenant=tenant,
            actor=Actor(user=supervisor.user, role=Role.SUPERVISOR),
            ticket=ticket,
            assignee=agent.user,
        )
    other = _ticket(tenant, committed)
    mailoutbox.clear()
    with committed(), tenant_context(tenant):
        services.ticket_update(tenant=tenant, actor=as_agent, ticket=other, assignee=agent.user)

    assert kinds(mailoutbox) == []  # the second: the agent assigned themselves
    rows = deliveries(tenant, kind="assigned_to_you")
    assert [(r.recipient, r.subject) for r in rows] == [
        ("agent@alpha.test", f"[#{ticket.number}] Assigned to you: VPN")
    ]


def test_a_customer_reply_reaches_the_assignee(tenant, committed, mailoutbox, agent):
    ticket = _ticket(tenant, committed, assignee=agent.user)
    mailoutbox.clear()

    with committed(), tenant_context(tenant):
        customer = Customer.objects.get(email="carol@example.test")
        services.comment_create(
            tenant=tenant,
            actor=Actor(),
            ticket=ticket,
            body="Still broken",
            author_customer=customer,
        )

    [email] = mailoutbox
    assert email.to == ["agent@alpha.test"]
    assert email.subject.startswith(f"[#{ticket.number}] Customer reply:")
    assert "Still broken" in email.body
    assert email.reply_to == []  # team emails are not answered into the ticket


def test_supervisors_hear_of_breaches_and_escalations(tenant, committed, mailoutbox, member):
    supervisors = [member(Role.SUPERVISOR), member(Role.ADMIN), member(Role.OWNER)]
    member(Role.AGENT)
    member(Role.VIEWER)
    member(Role.SUPERVISOR, is_active=False)
    ticket = _ticket(tenant, committed)
    mailoutbox.clear()

    with committed(), tenant_context(tenant):
        publish(
            TicketSlaBreached(
                number=ticket.number,
                target="first_response",
                due_at="2026-11-30T10:00:00Z",
                priority="high",
                version=2,
            ),
            tenant=tenant,
            actor=Actor(),
        )
        publish(
            TicketEscalated(
                number=ticket.number,
                priority="critical",
                escalation_level=1,
                reason="sla_breached",
                version=2,
            ),
            tenant=tenant,
            actor=Actor(),
        )

    expected = sorted(m.user.email for m in supervisors)
    breach = sorted(m.to[0] for m in mailoutbox if "SLA breached" in m.subject)
    escalation = sorted(m.to[0] for m in mailoutbox if "Escalated" in m.subject)
    assert breach == escalation == expected
    assert any("first response target" in m.body for m in mailoutbox)


def test_a_rolled_back_change_writes_no_email_and_sends_nothing(
    tenant, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), tenant_context(tenant):
            make_ticket(tenant)
            raise RuntimeError("roll back")

    assert callbacks == []
    assert mailoutbox == []
    assert deliveries(tenant) == []


def test_a_committed_change_writes_its_row_and_sends_it_once(
    tenant, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_ticket(tenant)

    [row] = deliveries(tenant)
    assert (row.status, len(callbacks)) == ("pending", 1)
    callbacks[0]()
    callbacks[0]()  # a duplicate message: the claim lets one through

    assert len(mailoutbox) == 1
    assert deliveries(tenant)[0].status == "sent"


def test_customer_text_cannot_write_a_header(tenant, committed, mailoutbox):
    tenant.name = 'Evil "Co" <attacker@evil.test>\r\nBcc: victim@example.test'
    tenant.save()

    _ticket(tenant, committed, subject="Hi\r\nBcc: victim@example.test")

    [email] = mailoutbox
    message = email.message()
    assert "victim" not in message.get("Bcc", "")
    assert message["Subject"].count("\n") == 0 or "Bcc" not in message["Subject"]
    assert "\n" not in email.subject and "\r" not in email.subject
    assert email.from_email.endswith("<no-reply@tenantdesk.local>")
    assert email.recipients() == ["carol@example.test"]


def test_a_corrected_customer_address_gets_the_email_not_the_old_one(tenant, mailoutbox):
    ticket = make_ticket(tenant, customer_email="old@example.test")
    with tenant_context(tenant):
        Customer.objects.filter(pk=ticket.requester_id).update(email="new@example.test")
    [row] = deliveries(tenant)

    deliver(row)

    assert [m.to for m in mailoutbox] == [["new@example.test"]]
    assert deliveries(tenant)[0].recipient == "new@example.test"
