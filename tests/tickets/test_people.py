"""People, not UUIDs: tickets, comments, history and attachments embed the people they name as
{id, name, email} beside the ids (which stay, as the contract has them), at no extra query
(tests/tickets/test_ticket_query_counts.py counts them with many distinct people)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tickets import services
from tickets.models import Customer


@pytest.fixture
def people(tenant, member, api_client):
    agent = member(Role.AGENT, user_fields={"name": "Ana Agent", "email": "ana@example.test"})
    with tenant_context(tenant):
        ticket = services.ticket_create(
            tenant=tenant,
            actor=Actor(user=agent.user, role=Role.AGENT),
            subject="Printer",
            customer_email="carl@example.test",
            customer_name="Carl Customer",
            assignee=agent.user,
        )
        customer = Customer.objects.get(email="carl@example.test")
    return {
        "agent": agent,
        "ticket": ticket,
        "customer": customer,
        "client": api_client(agent),
        "base": f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/",
    }


def _person(user_or_customer) -> dict:
    return {
        "id": str(user_or_customer.public_id),
        "name": user_or_customer.name,
        "email": user_or_customer.email,
    }


def test_a_ticket_embeds_its_requester_and_assignee(people):
    body = people["client"].get(people["base"]).json()
    listed = people["client"].get(people["base"].rsplit("/", 2)[0] + "/").json()["results"][0]

    assert body["requester_detail"] == _person(people["customer"])
    assert body["assignee_detail"] == _person(people["agent"].user)
    assert body["requester"] == str(people["customer"].public_id)  # the ids stay
    assert body["assignee"] == str(people["agent"].user.public_id)
    assert listed["assignee_detail"] == body["assignee_detail"]


def test_an_unassigned_ticket_has_no_assignee_detail(people, tenant):
    with tenant_context(tenant):
        services.ticket_update(tenant=tenant, actor=Actor(), ticket=people["ticket"], assignee=None)

    body = people["client"].get(people["base"]).json()

    assert (body["assignee"], body["assignee_detail"]) == (None, None)


def test_comments_embed_their_author_member_customer_or_none(people, tenant):
    agent = people["agent"]
    with tenant_context(tenant):
        services.comment_create(
            tenant=tenant,
            actor=Actor(user=agent.user, role=Role.AGENT),
            ticket=people["ticket"],
            body="From the team",
        )
        services.comment_create(
            tenant=tenant,
            actor=Actor(),
            ticket=people["ticket"],
            body="From the customer",
            author_customer=people["customer"],
        )
        services.comment_create(
            tenant=tenant, actor=Actor(), ticket=people["ticket"], body="From the system"
        )

    comments = people["client"].get(f"{people['base']}comments/").json()["results"]

    assert [c["author"] for c in comments] == [
        {**_person(agent.user), "type": "user"},
        {**_person(people["customer"]), "type": "customer"},
        None,
    ]


def test_history_embeds_the_member_who_acted(people, tenant, api_key_client):
    key_client, _ = api_key_client(tenant, Role.ADMIN)
    people["client"].patch(people["base"], {"priority": "low"}, format="json")
    key_client.patch(people["base"], {"priority": "high"}, format="json")

    events = people["client"].get(f"{people['base']}events/").json()["results"]
    priority = [e for e in events if e["field"] == "priority"]

    assert [e["actor_detail"] for e in priority] == [_person(people["agent"].user), None]
    assert priority[1]["actor"].startswith("api-key:")


def test_an_attachment_embeds_its_uploader(people):
    upload = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")

    created = people["client"].post(
        f"{people['base']}attachments/", {"file": upload}, format="multipart"
    )

    assert created.status_code == 201, created.content
    assert created.json()["uploader"] == _person(people["agent"].user)


def test_history_values_read_as_text_with_people_by_name(people, tenant, member):
    other = member(Role.AGENT, user_fields={"name": "Olle Other", "email": "olle@example.test"})
    people["client"].patch(people["base"], {"assignee": str(other.user.public_id)}, format="json")
    people["client"].patch(people["base"], {"tags": ["a", "b"]}, format="json")

    events = people["client"].get(f"{people['base']}events/").json()["results"]
    shown = {e["field"]: (e["old_display"], e["new_display"]) for e in events}

    assert shown["assignee"] == ("Ana Agent <ana@example.test>", "Olle Other <olle@example.test>")
    assert shown["tags"] == ("—", "a, b")
    assert [e["old"] for e in events if e["field"] == "assignee"] == [
        str(people["agent"].user.public_id)  # the stored value stays as it was
    ]


def test_history_names_people_in_one_query_whatever_the_page(people, tenant, member):
    url = f"{people['base']}events/"
    people["client"].get(url)
    with CaptureQueriesContext(connection) as one:
        people["client"].get(url)
    for i in range(3):
        agent = member(Role.AGENT, user_fields={"email": f"a{i}@example.test"})
        people["client"].patch(
            people["base"], {"assignee": str(agent.user.public_id)}, format="json"
        )
    with CaptureQueriesContext(connection) as many:
        people["client"].get(url)

    assert len(many) <= len(one) + 1
