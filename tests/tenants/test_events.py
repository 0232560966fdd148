"""The event bus and registry: contracts, envelopes, and GET t/<slug>/event-types/."""

import uuid
from dataclasses import dataclass

import pytest

from tenants import events
from tenants.access import SYSTEM, Actor
from tenants.context import tenant_context
from tenants.events import Event, payload, register
from tests.events import published
from tests.tickets.recipes import customer_recipe, ticket_recipe
from tickets import services as ticket_services

# The registry, written out by hand: adding, renaming or dropping an event type is a change
# of the public contract (webhook and notification settings name these), so it shows here.
TENANT_EVENT_TYPES = {
    "article.published": "public",
    "comment.created": "per_event",
    "customer.created": "public",
    "customer.erased": "public",
    "customer.updated": "public",
    "invitation.created": "internal",
    "invitation.resent": "internal",
    "member.added": "internal",
    "ticket.assigned": "public",
    "ticket.created": "public",
    "ticket.deleted": "public",
    "ticket.escalated": "public",
    "ticket.merged": "public",
    "ticket.sla_breached": "public",
    "ticket.status_changed": "public",
    "ticket.updated": "public",
    "webhook.endpoint_disabled": "internal",
}


def test_the_registry_lists_every_tenant_event_type_and_no_platform_one():
    listed = {entry["type"]: entry["visibility"] for entry in events.event_types()}

    assert listed == TENANT_EVENT_TYPES


def test_every_listed_type_documents_itself_and_its_payload():
    for entry in events.event_types():
        assert entry["description"].strip(), entry["type"]
        assert entry["version"] == 1
        assert entry["fields"], entry["type"]
        for field in entry["fields"]:
            assert field["description"].strip(), (entry["type"], field["name"])


def test_a_payload_field_says_its_json_type():
    [assigned] = [e for e in events.event_types() if e["type"] == "ticket.assigned"]

    assert [(f["name"], f["type"]) for f in assigned["fields"]] == [
        ("number", "integer"),
        ("assignee", "string or null"),
        ("previous_assignee", "string or null"),
        ("status", "string"),
        ("priority", "string"),
        ("version", "integer"),
    ]


def test_event_types_route_serves_the_registry_to_any_member(tenant, member, api_client):
    viewer = member("viewer")

    response = api_client(viewer).get(f"/api/v1/t/{tenant.slug}/event-types/")

    assert response.status_code == 200
    body = response.json()
    assert (body["next"], body["previous"]) == (None, None)
    assert {e["type"]: e["visibility"] for e in body["results"]} == TENANT_EVENT_TYPES
    [merged] = [e for e in body["results"] if e["type"] == "ticket.merged"]
    assert [f["name"] for f in merged["fields"]] == ["number", "into", "status", "moved", "version"]


def test_event_types_route_does_not_take_writes(tenant, member, api_client):
    owner = member("owner")

    response = api_client(owner).post(f"/api/v1/t/{tenant.slug}/event-types/", {}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- Contracts that do not hold are refused at import time ------------------------------------


def test_register_refuses_a_mutable_event():
    class Mutable(Event):
        type = "test.mutable"
        description = "x"

    with pytest.raises(TypeError, match="frozen dataclass"):
        register(dataclass(Mutable))


def test_register_refuses_an_undocumented_field():
    @dataclass(frozen=True)
    class Undocumented(Event):
        type = "test.undocumented"
        description = "x"
        number: int = 0

    with pytest.raises(TypeError, match="undocumented payload fields"):
        register(Undocumented)


def test_register_refuses_a_second_class_for_a_known_type():
    @dataclass(frozen=True)
    class Impostor(Event):
        type = "ticket.created"
        description = "x"

    with pytest.raises(ValueError, match="declared twice"):
        register(Impostor)


def test_register_refuses_a_second_class_of_the_same_name_elsewhere():
    # Same class name as tickets.events.CustomerCreated, another module: still a second class.
    CustomerCreated = dataclass(frozen=True)(
        type(
            "CustomerCreated",
            (Event,),
            {"type": "customer.created", "description": "x", "__module__": "elsewhere.events"},
        )
    )

    with pytest.raises(ValueError, match="declared twice"):
        register(CustomerCreated)


def test_register_refuses_a_per_event_type_that_does_not_say_per_event():
    @dataclass(frozen=True)
    class Undecided(Event):
        type = "test.undecided"
        description = "x"
        visibility = "per_event"

    with pytest.raises(TypeError, match="visibility_of"):
        register(Undecided)


def test_register_refuses_a_type_without_description():
    @dataclass(frozen=True)
    class Nameless(Event):
        type = "test.nameless"
        description = ""

    with pytest.raises(TypeError, match="must set description"):
        register(Nameless)


def test_publish_refuses_an_unregistered_event(tenant):
    @dataclass(frozen=True)
    class Stray(Event):
        type = "test.stray"
        description = "x"
        number: int = payload("n")

    with pytest.raises(ValueError, match="unregistered"):
        events.publish(Stray(number=1), tenant=tenant, actor=SYSTEM)


def test_subscribe_refuses_an_unknown_type():
    with pytest.raises(ValueError, match="unknown event"):
        events.subscribe("ticket.exploded")


def test_a_tenant_event_needs_a_tenant_and_a_platform_event_none(tenant):
    from tenants.domain_events import AccountRegistered, MemberAdded

    member_added = MemberAdded(member="m", user="u", role="agent")
    with pytest.raises(ValueError, match="needs a tenant"):
        events.publish(member_added, tenant=None, actor=SYSTEM)
    with pytest.raises(ValueError, match="needs a tenant"):
        events.publish(AccountRegistered(user_id=1), tenant=tenant, actor=SYSTEM)


def test_subscribers_run_inside_the_events_tenant(tenant, member):
    from tenants.context import current_tenant_id
    from tenants.domain_events import MemberAdded

    seen = []

    def handler(envelope):
        seen.append((envelope.type, current_tenant_id()))

    events.subscribe(MemberAdded)(handler)
    try:
        # Outside any tenant context, as a tenant's creation or an invitation's acceptance is.
        events.publish(
            MemberAdded(member=str(uuid.uuid4()), user=str(uuid.uuid4()), role="agent"),
            tenant=tenant,
            actor=None,
        )
    finally:
        events.unsubscribe(MemberAdded, handler)

    assert seen == [("member.added", tenant.pk)]


# --- Envelopes --------------------------------------------------------------------------------


def _make_ticket(tenant, actor, **fields):
    return ticket_services.ticket_create(
        tenant=tenant, actor=actor, subject="Help", customer_email="c@example.test", **fields
    )


def test_envelope_ids_are_unique_uuid7_in_publish_order(tenant, member):
    actor = Actor(user=member("agent").user, role="agent")
    with tenant_context(tenant), published("ticket.created", "customer.created") as seen:
        for _ in range(3):
            customer = customer_recipe.make(tenant=tenant)
            ticket_services.ticket_create(
                tenant=tenant, actor=actor, subject="s", requester=customer
            )

    ids = [uuid.UUID(e.id) for e in seen]
    assert len(ids) == 3
    assert {i.version for i in ids} == {7}
    assert ids == sorted(ids)
    assert len(set(ids)) == 3


def test_envelope_names_the_member_and_serializes_to_json_data(tenant, member):
    agent = member("agent")
    actor = Actor(user=agent.user, role="agent")
    with tenant_context(tenant), published("ticket.created") as seen:
        ticket = _make_ticket(tenant, actor)

    [envelope] = seen
    body = envelope.as_dict()
    assert set(body) == {
        "id",
        "type",
        "tenant",
        "occurred_at",
        "actor",
        "visibility",
        "version",
        "data",
    }
    assert body["type"] == "ticket.created"
    assert body["tenant"] == tenant.slug  # internal ids never leave the process
    assert envelope.tenant_id == tenant.pk
    assert body["actor"] == {"type": "member", "id": str(agent.user.public_id)}
    assert body["occurred_at"].endswith("Z")
    assert body["data"]["number"] == ticket.number


def test_envelope_names_an_api_key(tenant, api_key_client):
    _, api_key = api_key_client(tenant, "admin")
    actor = Actor(api_key=api_key, role="admin")
    with tenant_context(tenant), published("ticket.created") as seen:
        _make_ticket(tenant, actor)

    assert seen[0].actor == {"type": "api_key", "id": str(api_key.public_id)}


def test_a_customers_reply_names_the_customer_and_a_system_change_the_system(tenant):
    with tenant_context(tenant):
        ticket = ticket_recipe.make(tenant=tenant, requester=customer_recipe.make(tenant=tenant))
        with published("comment.created", "ticket.updated") as seen:
            ticket_services.comment_create(
                tenant=tenant,
                actor=SYSTEM,
                ticket=ticket,
                body="Thanks",
                author_customer=ticket.requester,
            )
            ticket_services.ticket_update(
                tenant=tenant, actor=SYSTEM, ticket=ticket, priority="high"
            )

    assert [(e.type, e.actor) for e in seen] == [
        ("comment.created", {"type": "customer", "id": str(ticket.requester.public_id)}),
        ("ticket.updated", {"type": "system", "id": None}),
    ]


def test_a_reply_is_public_and_an_internal_note_internal(tenant, member):
    actor = Actor(user=member("agent").user, role="agent")
    with tenant_context(tenant):
        ticket = ticket_recipe.make(tenant=tenant, requester=customer_recipe.make(tenant=tenant))
        with published("comment.created") as seen:
            for public in (True, False):
                ticket_services.comment_create(
                    tenant=tenant, actor=actor, ticket=ticket, body="b", public=public
                )

    assert [(e.data["public"], e.visibility) for e in seen] == [
        (True, "public"),
        (False, "internal"),
    ]


def test_a_silenced_publish_reaches_no_subscriber_and_the_next_one_does(tenant):
    from tenants.domain_events import MemberAdded

    seen = []
    events.subscribe(MemberAdded)(seen.append)
    event = MemberAdded(member=str(uuid.uuid4()), user=str(uuid.uuid4()), role="agent")
    try:
        with events.silenced():
            quiet = events.publish(event, tenant=tenant, actor=None)
        loud = events.publish(event, tenant=tenant, actor=None)
    finally:
        events.unsubscribe(MemberAdded, seen.append)

    assert quiet.type == "member.added"  # still an envelope, for the caller
    assert [envelope.id for envelope in seen] == [loud.id]
