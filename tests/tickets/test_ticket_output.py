"""The ticket representation is built directly (TicketOutputSerializer.to_representation, a
fast path for list pages); it must equal DRF's rendering of the declared fields, for tickets
in every state and in any active timezone."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.recipes import business_hours_recipe, customer_recipe, ticket_recipe
from tickets.api.serializers import TicketOutputSerializer
from tickets.models import Status
from tickets.selectors import ticket_list

NOW = datetime(2026, 3, 4, 10, 30, 15, 123456, tzinfo=UTC)


def _states(tenant, agent):
    """Tickets covering every optional value: null or set, merged, paused, breached, done."""
    at = NOW - timedelta(days=2)
    customer = customer_recipe.make(tenant=tenant, name="Ana Ölz", email="ana@example.test")
    nameless = customer_recipe.make(tenant=tenant, name="", email="x@example.test")
    target = ticket_recipe.make(tenant=tenant, requester=customer)
    return [
        target,
        ticket_recipe.make(tenant=tenant, requester=nameless, tags=[], metadata={}),
        ticket_recipe.make(
            tenant=tenant,
            requester=customer,
            assignee=agent,
            status=Status.PENDING,
            priority="critical",
            tags=["a", "Ünï", "b-c"],
            metadata={"nested": {"list": [1, 2.5, None, "x"]}, "flag": True},
            external_id="EXT-1",
            escalated=True,
            escalation_level=2,
            sla_breached=True,
            sla_paused=True,
            sla_pauses=[
                [(at + timedelta(hours=1)).isoformat(), (at + timedelta(hours=3)).isoformat()],
                [(at + timedelta(hours=5)).isoformat(), None],
            ],
            first_response_due_at=at + timedelta(hours=4),
            resolution_due_at=at + timedelta(days=1, microseconds=7),
            first_response_target_minutes=240,
            resolution_target_minutes=1440,
            first_response_breached_at=at + timedelta(hours=4, seconds=30),
            resolution_breached_at=at + timedelta(days=1, minutes=1),
            first_response_at=at + timedelta(hours=6),
            created_at=at,
            follow_up_of=17,
        ),
        ticket_recipe.make(
            tenant=tenant,
            requester=customer,
            status=Status.CLOSED,
            first_response_due_at=at + timedelta(hours=1),
            resolution_due_at=at + timedelta(hours=2),
            resolved_at=at + timedelta(minutes=90),
            closed_at=at + timedelta(minutes=95),
            merged_into=target,
            created_at=at,
        ),
        ticket_recipe.make(
            tenant=tenant,
            requester=customer,
            status=Status.OPEN,
            first_response_due_at=NOW - timedelta(hours=2),  # overdue: negative minutes
            resolution_due_at=NOW + timedelta(hours=30),
            first_response_target_minutes=60,
            created_at=NOW - timedelta(hours=3),
        ),
    ]


def _reference(ticket, context):
    """DRF's generic rendering of the declared fields (nested serializers included)."""
    return serializers.Serializer.to_representation(TicketOutputSerializer(context=context), ticket)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns"])
@pytest.mark.parametrize("calendar", [False, True])
def test_the_fast_representation_equals_drfs(tenant, member, zone, calendar):
    agent = member(Role.AGENT, user_fields={"name": "Bo Agent"}).user
    with tenant_context(tenant):
        if calendar:
            business_hours_recipe.make(tenant=tenant, timezone="Asia/Kolkata")
        made = _states(tenant, agent)
        tickets = list(
            ticket_list(tenant=tenant)  # as the API reads them (merged_into's number only)
            .filter(pk__in=[t.pk for t in made])
            .order_by("pk")
        )
        with timezone.override(zone):
            fast = TicketOutputSerializer(tickets, many=True, context={"now": NOW}).data
            reference = [_reference(ticket, {"now": NOW}) for ticket in tickets]

    assert len(fast) == 5
    # As JSON: 1 == True and 2.0 == 2 in Python, not on the wire.
    assert json.dumps(fast, indent=1) == json.dumps(reference, indent=1)
    # The values themselves, so that both paths cannot be wrong alike.
    paused = fast[2]
    assert paused["tags"] == ["a", "Ünï", "b-c"]
    assert paused["assignee_detail"] == {
        "id": str(agent.public_id),
        "name": "Bo Agent",
        "email": agent.email,
    }
    assert [entry["event"] for entry in paused["sla"]["timeline"]] == [
        "started",
        "paused",
        "resumed",
        "first_response_breached",
        "paused",
        "first_response_met",
        "resolution_breached",
    ]
    assert fast[3]["merged_into"] == tickets[0].number
    assert fast[4]["sla"]["first_response_remaining_minutes"] < 0


def test_datetimes_are_iso_8601_with_z_in_utc(tenant):
    with tenant_context(tenant):
        customer = customer_recipe.make(tenant=tenant)
        ticket = ticket_recipe.make(tenant=tenant, requester=customer, created_at=NOW)
        data = TicketOutputSerializer(ticket, context={"now": NOW}).data

    assert data["created_at"] == "2026-03-04T10:30:15.123456Z"
    assert data["sla"]["timeline"] == [{"event": "started", "at": "2026-03-04T10:30:15.123456Z"}]
    assert data["assignee"] is None and data["assignee_detail"] is None
