"""Fixtures shared by the modules of this folder. None is autouse: an autouse fixture here
would apply to every test in the folder (modules opt in with pytest.mark.usefixtures)."""

from types import SimpleNamespace

import pytest

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.gdpr_helpers import _stored
from tests.tickets.helpers import make_ticket
from tests.tickets.recipes import attachment_recipe
from tickets import services
from tickets.models import Customer, Ticket, TicketEvent

# --- GDPR export and erase (test_gdpr_*.py) -------------------------------------------------------


@pytest.fixture
def _memory_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.fixture
def world(tenant, other_tenant, member):
    """Alice (the subject) with two tickets, a conversation and attachments; Bob, another
    customer of the same tenant; and an Alice namesake in another tenant."""
    agent = member(Role.AGENT)
    team = Actor(user=agent.user, role=Role.AGENT)
    with tenant_context(tenant):
        alice = services.customer_create(
            tenant=tenant,
            actor=team,
            email="alice@example.test",
            name="Alice Liddell",
            tier="premium",
            company="Wonderland Ltd",
            phone="+44 20 7946 0000",
            crm_id="crm-alice-1",
            metadata={"note": "alice-secret-meta"},
        )
        bob = services.customer_create(
            tenant=tenant, actor=team, email="bob@example.test", name="Bob Builder"
        )
        first = services.ticket_create(
            tenant=tenant,
            actor=team,
            subject="Alice subject first",
            description="Alice description: lives at 1 Rabbit Hole",
            requester=alice,
            priority="high",
            channel="email",
            tags=["billing"],
            metadata={"order": "alice-secret-meta"},
        )
        first = services.ticket_update(
            tenant=tenant,
            actor=team,
            ticket=first,
            subject="Alice subject renamed",
            status="in_progress",
            assignee=agent.user,
        )
        alice_comment = services.comment_create(
            tenant=tenant,
            actor=team,
            ticket=first,
            body="Alice writes: my card",
            author_customer=alice,
        )
        reply = services.comment_create(tenant=tenant, actor=team, ticket=first, body="Team reply")
        note = services.comment_create(
            tenant=tenant, actor=team, ticket=first, body="Internal note", public=False
        )
        bob_on_alice = services.comment_create(
            tenant=tenant, actor=team, ticket=first, body="Bob chimes in", author_customer=bob
        )
        second = services.ticket_create(
            tenant=tenant, actor=team, subject="Alice subject second", requester=alice
        )
        second = services.ticket_update(tenant=tenant, actor=team, ticket=second, status="resolved")
        bob_ticket = services.ticket_create(
            tenant=tenant, actor=team, subject="Bob subject", description="Bob text", requester=bob
        )
        alice_on_bob = services.comment_create(
            tenant=tenant,
            actor=team,
            ticket=bob_ticket,
            body="Alice writes on Bob's ticket",
            author_customer=alice,
        )
        services.comment_create(tenant=tenant, actor=team, ticket=bob_ticket, body="Reply to Bob")
        customer_file = attachment_recipe.make(
            tenant=tenant,
            ticket=first,
            comment=alice_comment,
            filename="alice-passport.pdf",
            from_customer=True,
            content_type="application/pdf",
            size=7,
            storage_key=_stored("tenants/a/attachments/1/alice-passport.pdf", b"passport"),
        )
        team_file = attachment_recipe.make(
            tenant=tenant,
            ticket=first,
            comment=reply,
            uploaded_by=agent.user,
            filename="invoice.pdf",
            content_type="application/pdf",
            size=5,
            storage_key=_stored("tenants/a/attachments/2/invoice.pdf", b"invoice"),
        )
        attachment_recipe.make(
            tenant=tenant, ticket=first, comment=note, uploaded_by=agent.user, filename="note.txt"
        )
        bob_file = attachment_recipe.make(
            tenant=tenant,
            ticket=bob_ticket,
            filename="bob.txt",
            from_customer=True,
            storage_key=_stored("tenants/a/attachments/3/bob.txt", b"bob"),
        )
    with tenant_context(other_tenant):
        namesake = services.customer_create(
            tenant=other_tenant,
            actor=Actor(),
            email="alice@example.test",
            name="Bravo Alice",
            crm_id="crm-bravo",
        )
        namesake_ticket = services.ticket_create(
            tenant=other_tenant, actor=Actor(), subject="Bravo subject", requester=namesake
        )
        services.comment_create(
            tenant=other_tenant,
            actor=Actor(),
            ticket=namesake_ticket,
            body="Bravo Alice writes",
            author_customer=namesake,
        )
    return SimpleNamespace(
        agent=agent,
        alice=alice,
        bob=bob,
        first=first,
        second=second,
        bob_ticket=bob_ticket,
        alice_comment=alice_comment,
        reply=reply,
        note=note,
        bob_on_alice=bob_on_alice,
        alice_on_bob=alice_on_bob,
        customer_file=customer_file,
        team_file=team_file,
        bob_file=bob_file,
        namesake=namesake,
    )


@pytest.fixture
def admin_client(member, api_client):
    return api_client(member(Role.ADMIN))


# --- CSV exports (test_exports_*.py) --------------------------------------------------------------


@pytest.fixture
def supervisor(member):
    return member(Role.SUPERVISOR)


@pytest.fixture
def agent(member):
    return member(Role.AGENT)


@pytest.fixture
def sup_client(api_client, supervisor):
    return api_client(supervisor)


# --- The ticket API (test_tickets_api_*.py) -------------------------------------------------------


@pytest.fixture
def tickets_url(tenant):
    return f"/api/v1/t/{tenant.slug}/tickets/"


# --- Ticket rules (test_ticket_*.py) --------------------------------------------------------------


@pytest.fixture
def actor(agent):
    return Actor(user=agent.user, role=agent.role)


# --- Bulk ticket changes (test_bulk_*.py) ---------------------------------------------------------


@pytest.fixture
def supervisor_client(api_client, supervisor):
    return api_client(supervisor)


# --- Merging tickets (test_merge_*.py) ------------------------------------------------------------


@pytest.fixture
def pair(tenant):
    """A source ticket with two comments, an attachment and history, and a target ticket
    with a comment of its own."""
    source = make_ticket(tenant, subject="Source")
    # The priority by ticket_update, not make_ticket(priority=...): the source's history row.
    with tenant_context(tenant):
        source = services.ticket_update(
            tenant=tenant, actor=Actor(), ticket=source, priority="high"
        )
    target = make_ticket(tenant, subject="Target")
    with tenant_context(tenant):
        comments = [
            services.comment_create(tenant=tenant, actor=Actor(), ticket=source, body=body)
            for body in ("first", "second")
        ]
        own_comment = services.comment_create(
            tenant=tenant, actor=Actor(), ticket=target, body="target's own"
        )
        attachment = attachment_recipe.make(tenant=tenant, ticket=source)
        source_events = set(
            TicketEvent.objects.filter(ticket=source).values_list("public_id", flat=True)
        )
        source, target = Ticket.objects.get(pk=source.pk), Ticket.objects.get(pk=target.pk)
    return {
        "source": source,
        "target": target,
        "comments": {c.public_id for c in comments},
        "own_comment": own_comment.public_id,
        "attachment": attachment.public_id,
        "source_events": source_events,
    }


# --- The tenant-scoped admin (test_admin_*.py) ----------------------------------------------------


@pytest.fixture
def admin_login(client):
    def login(membership):
        client.force_login(membership.user)
        return client

    return login


@pytest.fixture
def seeded(tenant, other_tenant, agent):
    """One ticket with a conversation per tenant; the same requester email in both."""
    team = Actor(user=agent.user, role=Role.AGENT)
    with tenant_context(tenant):
        own = services.ticket_create(
            tenant=tenant,
            actor=team,
            subject="Alpha printer on fire",
            customer_email="shared@example.test",
            priority="high",
        )
        services.comment_create(tenant=tenant, actor=team, ticket=own, body="Alpha reply body")
        services.comment_create(
            tenant=tenant, actor=team, ticket=own, body="Alpha private note", public=False
        )
        second = services.ticket_create(
            tenant=tenant,
            actor=team,
            subject="Alpha second",
            customer_email="second@example.test",
            channel="phone",
        )
        own_customer = Customer.objects.get(email="shared@example.test")
    with tenant_context(other_tenant):
        foreign = services.ticket_create(
            tenant=other_tenant,
            actor=Actor(),
            subject="Bravo secret ticket",
            customer_email="shared@example.test",
        )
        services.comment_create(
            tenant=other_tenant, actor=Actor(), ticket=foreign, body="Bravo reply body"
        )
        foreign_customer = Customer.objects.get(email="shared@example.test")
        services.customer_update(
            tenant=other_tenant, actor=Actor(), customer=foreign_customer, name="Bravo Person"
        )
    return {
        "own": own,
        "second": second,
        "foreign": foreign,
        "own_customer": own_customer,
        "foreign_customer": foreign_customer,
    }
