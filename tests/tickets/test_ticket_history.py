"""Ticket history rows (one per changed field, none for a no-op, naming the actor) and the
first response."""

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.helpers import make_ticket
from tests.tickets.ticket_helpers import PRINTER, _state, _updated_ticket
from tickets import services
from tickets.models import TicketEvent

# --- History --------------------------------------------------------------------------------------


def test_patch_writes_one_history_row_per_changed_field(tenant, agent, member, api_client):
    supervisor = member(Role.SUPERVISOR)
    with tenant_context(tenant):
        ticket = _updated_ticket(tenant, Actor(), priority="low", tags=["a"])
        before = TicketEvent.objects.filter(ticket=ticket).count()

    response = api_client(agent).patch(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/",
        {
            "priority": "high",
            "subject": "Printer on fire",  # unchanged: no row
            "tags": ["a", "b"],
            "assignee": str(supervisor.user.public_id),
        },
        format="json",
    )
    with tenant_context(tenant):
        rows = list(
            TicketEvent.objects.filter(ticket=ticket)
            .order_by("id")
            .values_list("field", "old_value", "new_value", "actor_label", "actor_user")[before:]
        )

    assert response.status_code == 200, response.content
    assert rows == [
        ("priority", "low", "high", agent.user.email, agent.user.pk),
        ("assignee", None, str(supervisor.user.public_id), agent.user.email, agent.user.pk),
        ("tags", ["a"], ["a", "b"], agent.user.email, agent.user.pk),
    ]


def test_noop_patch_writes_no_history_and_keeps_the_version(tenant, agent, api_client):
    with tenant_context(tenant):
        ticket = _updated_ticket(tenant, Actor(), priority="low", tags=["a"])
        before = _state(ticket)

    response = api_client(agent).patch(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/",
        {"priority": "low", "tags": ["a"], "subject": "Printer on fire", "assignee": None},
        format="json",
    )
    with tenant_context(tenant):
        after = _state(ticket)

    assert response.status_code == 200, response.content
    assert response["ETag"] == f'"{before["version"]}"'
    assert after == before


def test_history_names_an_api_key_or_the_system(tenant, api_key_client):
    client, key = api_key_client(tenant, "agent")
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=Actor(), **PRINTER)

    client.patch(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/", {"priority": "high"}, format="json"
    )
    with tenant_context(tenant):
        labels = list(
            TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("actor_label")
        )

    assert labels == [("system",), (f"api-key:{key.name} ({key.prefix})",)]


# --- First response -------------------------------------------------------------------------------


def test_first_public_reply_by_a_member_sets_first_response_at_once(tenant, actor):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, **PRINTER)

        first = services.comment_create(tenant=tenant, actor=actor, ticket=ticket, body="On it")
        ticket.refresh_from_db()
        stamped = ticket.first_response_at
        services.comment_create(tenant=tenant, actor=actor, ticket=ticket, body="Still on it")
        ticket.refresh_from_db()

    assert stamped == first.created_at
    assert ticket.first_response_at == stamped


def test_internal_note_does_not_count_as_first_response(tenant, actor):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, **PRINTER)
        before = _state(ticket)

        services.comment_create(
            tenant=tenant, actor=actor, ticket=ticket, body="Customer is grumpy", public=False
        )
        ticket.refresh_from_db()
        after = _state(ticket)

    assert ticket.first_response_at is None
    assert after == before


def test_customer_reply_does_not_count_as_first_response(tenant, actor):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, **PRINTER)

        services.comment_create(
            tenant=tenant,
            actor=Actor(),
            ticket=ticket,
            body="Any news?",
            author_customer=ticket.requester,
        )
        ticket.refresh_from_db()

    assert ticket.first_response_at is None


def test_first_response_leaves_a_history_row(tenant, actor):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, **PRINTER)
        before = _state(ticket)

        services.comment_create(tenant=tenant, actor=actor, ticket=ticket, body="On it")
        after = _state(ticket)
        row = TicketEvent.objects.filter(ticket=ticket).latest("id")

    assert after["events"] == before["events"] + 1
    assert after["version"] == before["version"] + 1
    assert (row.field, row.old_value) == ("first_response_at", None)
