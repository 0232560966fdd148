"""Merging a ticket into another: what moves to the target, how the source closes, the history
rows, the event and the audit entry."""

import pytest

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Role
from tests.events import published as capture
from tests.tickets.helpers import make_ticket
from tests.tickets.merge_helpers import merge_url, post
from tickets import services
from tickets.models import Attachment, Comment, Ticket, TicketEvent


@pytest.fixture
def supervisor_client(member, api_client):
    return api_client(member(Role.SUPERVISOR))


# --- Happy path -----------------------------------------------------------------------------------


def test_merge_moves_comments_history_and_attachments_to_the_target(
    supervisor_client, tenant, pair
):
    source, target = pair["source"], pair["target"]

    response = post(supervisor_client, merge_url(tenant, source.number), {"into": target.number})

    assert response.status_code == 200, response.content
    with tenant_context(tenant):
        target_comments = set(
            Comment.objects.filter(ticket=target).values_list("public_id", flat=True)
        )
        assert target_comments == pair["comments"] | {pair["own_comment"]}
        assert not Comment.objects.filter(ticket=source).exists()
        assert Attachment.objects.get(public_id=pair["attachment"]).ticket_id == target.pk
        moved = set(
            TicketEvent.objects.filter(public_id__in=pair["source_events"]).values_list(
                "ticket_id", flat=True
            )
        )
        assert moved == {target.pk}


def test_merge_closes_the_source_with_a_pointer_and_leaves_the_target_open(
    supervisor_client, tenant, pair
):
    source, target = pair["source"], pair["target"]

    response = post(supervisor_client, merge_url(tenant, source.number), {"into": target.number})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["source"]["number"], body["target"]["number"]) == (source.number, target.number)
    assert body["source"]["status"] == "closed"
    assert body["source"]["merged_into"] == target.number
    assert body["source"]["closed_at"] is not None
    assert body["source"]["version"] == source.version + 1
    assert body["target"]["merged_into"] is None
    assert body["target"]["version"] == target.version + 1
    with tenant_context(tenant):
        after = Ticket.objects.get(pk=target.pk)
        closed = Ticket.objects.get(pk=source.pk)
    fields = ("subject", "status", "priority", "assignee_id", "tags", "closed_at", "merged_into_id")
    assert [getattr(after, f) for f in fields] == [getattr(target, f) for f in fields]
    assert (closed.status, closed.merged_into_id) == ("closed", target.pk)
    assert closed.closed_at is not None


def test_merge_writes_history_rows_on_both_tickets(member, api_client, tenant):
    supervisor = member(Role.SUPERVISOR)
    source, target = make_ticket(tenant, subject="Source"), make_ticket(tenant, subject="Target")

    response = post(
        api_client(supervisor), merge_url(tenant, source.number), {"into": target.number}
    )

    assert response.status_code == 200, response.content
    with tenant_context(tenant):
        on_source = list(
            TicketEvent.objects.filter(ticket=source)
            .order_by("id")
            .values_list("field", "old_value", "new_value", "actor_label")
        )
        merged_from = list(
            TicketEvent.objects.filter(ticket=target, field="merged_from").values_list(
                "old_value", "new_value", "actor_label"
            )
        )
    email = supervisor.user.email
    assert on_source == [
        ("status", "open", "closed", email),
        ("merged_into", None, target.number, email),
    ]
    assert merged_from == [(None, source.number, email)]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="open"),
        pytest.param({"status": "in_progress"}, id="in_progress"),
        pytest.param({"status": "pending"}, id="pending"),
        pytest.param({"status": "resolved"}, id="resolved"),
    ],
)
def test_merge_closes_the_source_from_any_status_but_closed(tenant, changes):
    # in_progress and pending cannot move to closed by hand; merging is its own transition.
    source, target = make_ticket(tenant, **changes), make_ticket(tenant)

    with tenant_context(tenant):
        result = services.ticket_merge(tenant=tenant, actor=Actor(), ticket=source, into=target)
        stored = Ticket.objects.get(pk=source.pk)

    assert (result.source.status, stored.status) == ("closed", "closed")
    assert stored.merged_into_id == target.pk
    assert stored.closed_at is not None
    assert stored.resolved_at is not None
    assert stored.sla_paused is False


def test_merge_publishes_ticket_merged_with_both_numbers(supervisor_client, tenant, pair):
    source, target = pair["source"], pair["target"]
    with capture("ticket.merged", "ticket.status_changed", "ticket.updated") as received:
        response = post(
            supervisor_client, merge_url(tenant, source.number), {"into": target.number}
        )

    assert response.status_code == 200, response.content
    assert [e.type for e in received] == [
        "ticket.merged",
        "ticket.updated",
        "ticket.status_changed",
    ]
    merged, _, status_changed = received
    assert merged.tenant_id == tenant.pk
    payload = merged.data
    assert payload["number"] == source.number
    assert payload["into"] == target.number
    assert payload["moved"] == {
        "comments": 2,
        "events": len(pair["source_events"]),
        "attachments": 1,
    }
    assert status_changed.data == {
        "number": source.number,
        "status": "closed",
        "previous_status": source.status,
        "priority": source.priority,
        "version": source.version + 1,  # the merge's change of the source
    }


def test_failed_merge_publishes_nothing(supervisor_client, tenant):
    source = make_ticket(tenant)
    with capture("ticket.merged") as received:
        response = post(
            supervisor_client, merge_url(tenant, source.number), {"into": source.number}
        )

    assert response.status_code == 400
    assert received == []


def test_merge_is_audit_logged(member, api_client, tenant):
    admin = member(Role.ADMIN)
    source, target = make_ticket(tenant), make_ticket(tenant)

    response = post(api_client(admin), merge_url(tenant, source.number), {"into": target.number})

    assert response.status_code == 200, response.content
    with tenant_context(tenant):
        entry = AuditLogEntry.objects.get(action="ticket.merged")
    assert (entry.target_type, entry.target_id, entry.actor_label) == (
        "ticket",
        str(source.number),
        admin.user.email,
    )
    assert entry.after == {"status": "closed", "merged_into": target.number}
