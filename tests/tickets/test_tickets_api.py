"""The ticket API: create, validation rules, assignment, ETag/If-Match, delete, comments, events."""

import pytest

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.errors import field_errors
from tests.tenants.helpers import audit_log_rows
from tests.tickets.helpers import make_ticket
from tests.tickets.recipes import customer_recipe
from tickets import services
from tickets.models import Comment, Customer, Ticket, TicketEvent


@pytest.fixture
def agent(member):
    return member(Role.AGENT)


@pytest.fixture
def client(api_client, agent):
    return api_client(agent)


@pytest.fixture
def tickets_url(tenant):
    return f"/api/v1/t/{tenant.slug}/tickets/"


def _reload(tenant, ticket) -> Ticket:
    with tenant_context(tenant):
        return Ticket.objects.select_related("assignee").get(pk=ticket.pk)


def _counts(tenant) -> dict:
    with tenant_context(tenant):
        return {
            "tickets": Ticket.objects.count(),
            "customers": Customer.objects.count(),
            "comments": Comment.objects.count(),
            "events": TicketEvent.objects.count(),
        }


# --- Create -----------------------------------------------------------------------------------


def test_create_by_requester_id_uses_the_defaults(tenant, client, tickets_url):
    with tenant_context(tenant):
        customer = customer_recipe.make(tenant=tenant)

    response = client.post(
        tickets_url, {"subject": "Hi", "requester": str(customer.public_id)}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["requester"] == str(customer.public_id)
    assert (body["status"], body["priority"], body["channel"]) == ("open", "medium", "api")
    assert (body["tags"], body["metadata"], body["assignee"]) == ([], {}, None)
    assert body["version"] == 1
    assert response["ETag"] == '"1"'


def test_create_with_another_tenants_customer_is_400(tenant, other_tenant, client, tickets_url):
    with tenant_context(other_tenant):
        foreign = customer_recipe.make(tenant=other_tenant)
    before = _counts(tenant)

    response = client.post(
        tickets_url, {"subject": "Hi", "requester": str(foreign.public_id)}, format="json"
    )

    assert response.status_code == 400
    assert "requester" in field_errors(response)
    assert _counts(tenant) == before


def test_create_by_email_finds_the_customer_case_insensitively(tenant, client, tickets_url):
    with tenant_context(tenant):
        customer = customer_recipe.make(tenant=tenant, email="asker@example.test")
    before = _counts(tenant)

    response = client.post(
        tickets_url, {"subject": "Hi", "customer_email": "ASKER@Example.TEST"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["requester"] == str(customer.public_id)
    assert _counts(tenant)["customers"] == before["customers"]


def test_create_by_new_email_creates_the_customer(tenant, client, tickets_url):
    response = client.post(
        tickets_url,
        {"subject": "Hi", "customer_email": "New.Person@Example.test", "customer_name": "Nia"},
        format="json",
    )
    with tenant_context(tenant):
        customer = Customer.objects.get()

    assert response.status_code == 201, response.content
    assert response.json()["requester"] == str(customer.public_id)
    assert (customer.email, customer.name) == ("new.person@example.test", "Nia")


def test_same_email_in_another_tenant_is_a_separate_customer(
    tenant, other_tenant, client, tickets_url
):
    with tenant_context(other_tenant):
        theirs = customer_recipe.make(tenant=other_tenant, email="shared@example.test")

    response = client.post(
        tickets_url, {"subject": "Hi", "customer_email": "shared@example.test"}, format="json"
    )
    with tenant_context(tenant):
        ours = Customer.objects.get()
    with tenant_context(other_tenant):
        their_count = Customer.objects.count()

    assert response.status_code == 201, response.content
    assert ours.pk != theirs.pk
    assert response.json()["requester"] == str(ours.public_id)
    assert their_count == 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"subject": "Hi"}, id="neither"),
        pytest.param(
            {"subject": "Hi", "customer_email": "a@example.test", "requester": "REQ"}, id="both"
        ),
    ],
)
def test_create_needs_exactly_one_of_requester_and_email(tenant, client, tickets_url, body):
    with tenant_context(tenant):
        customer = customer_recipe.make(tenant=tenant)
    body = {k: str(customer.public_id) if v == "REQ" else v for k, v in body.items()}
    before = _counts(tenant)

    response = client.post(tickets_url, body, format="json")

    assert response.status_code == 400
    assert "requester" in field_errors(response)
    assert _counts(tenant) == before


def test_create_accepts_every_field(tenant, client, tickets_url, agent):
    response = client.post(
        tickets_url,
        {
            "subject": "Hi",
            "description": "Long story",
            "priority": "critical",
            "category": "billing",
            "channel": "phone",
            "customer_email": "a@example.test",
            "assignee": str(agent.user.public_id),
            "tags": ["vip"],
            "metadata": {"plan": "gold"},
            "external_id": "EXT-1",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("priority", "category", "channel", "external_id")} == {
        "priority": "critical",
        "category": "billing",
        "channel": "phone",
        "external_id": "EXT-1",
    }
    assert body["assignee"] == str(agent.user.public_id)
    assert (body["tags"], body["metadata"]) == (["vip"], {"plan": "gold"})


def test_tags_are_normalised_and_deduplicated(client, tickets_url):
    response = client.post(
        tickets_url,
        {
            "subject": "Hi",
            "customer_email": "a@example.test",
            "tags": [" Billing", "billing", "VIP", "vip ", "needs-reply", "b_2"],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["tags"] == ["billing", "vip", "needs-reply", "b_2"]


def test_tags_with_spaces_inside_are_400(tenant, client, tickets_url):
    before = _counts(tenant)

    response = client.post(
        tickets_url,
        {"subject": "Hi", "customer_email": "a@example.test", "tags": ["two words"]},
        format="json",
    )

    assert response.status_code == 400
    assert "tags" in field_errors(response)
    assert _counts(tenant) == before


@pytest.mark.parametrize(
    ("size", "expected"),
    [pytest.param(16_000, 201, id="under-cap"), pytest.param(17_000, 400, id="over-cap")],
)
def test_metadata_is_size_capped(tenant, client, tickets_url, size, expected):
    before = _counts(tenant)["tickets"]

    response = client.post(
        tickets_url,
        {"subject": "Hi", "customer_email": "a@example.test", "metadata": {"blob": "x" * size}},
        format="json",
    )

    assert response.status_code == expected
    assert _counts(tenant)["tickets"] == before + (expected == 201)


# --- external_id ------------------------------------------------------------------------------


def test_duplicate_external_id_is_400(tenant, client, tickets_url):
    make_ticket(tenant, subject="Printer on fire", external_id="EXT-1")
    before = _counts(tenant)

    response = client.post(
        tickets_url,
        {"subject": "Hi", "customer_email": "b@example.test", "external_id": "EXT-1"},
        format="json",
    )

    assert response.status_code == 400
    assert "external_id" in field_errors(response)
    assert _counts(tenant) == before


def test_same_external_id_in_another_tenant_is_fine(tenant, other_tenant, client, tickets_url):
    make_ticket(other_tenant, subject="Printer on fire", external_id="EXT-1")

    response = client.post(
        tickets_url,
        {"subject": "Hi", "customer_email": "b@example.test", "external_id": "EXT-1"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["external_id"] == "EXT-1"


def test_patch_to_a_taken_external_id_is_400(tenant, client, tickets_url):
    make_ticket(tenant, subject="Printer on fire", external_id="EXT-1")
    ticket = make_ticket(tenant, subject="Printer on fire", external_id="EXT-2")

    response = client.patch(
        f"{tickets_url}{ticket.number}/", {"external_id": "EXT-1"}, format="json"
    )

    assert response.status_code == 400
    assert "external_id" in field_errors(response)
    assert _reload(tenant, ticket).external_id == "EXT-2"


def test_patch_keeping_its_own_external_id_is_fine(tenant, client, tickets_url):
    ticket = make_ticket(tenant, subject="Printer on fire", external_id="EXT-1")

    response = client.patch(
        f"{tickets_url}{ticket.number}/", {"external_id": "EXT-1", "priority": "low"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert _reload(tenant, ticket).priority == "low"


# --- Assignee rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.SUPERVISOR, Role.AGENT])
def test_assignee_may_be_any_active_agent_capable_member(member, client, tickets_url, role):
    target = member(role)

    response = client.post(
        tickets_url,
        {
            "subject": "Hi",
            "customer_email": "a@example.test",
            "assignee": str(target.user.public_id),
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["assignee"] == str(target.user.public_id)


@pytest.fixture
def non_assignable(member, other_tenant):
    return {
        "viewer": lambda: str(member(Role.VIEWER).user.public_id),
        "inactive-agent": lambda: str(member(Role.AGENT, is_active=False).user.public_id),
        "other-tenant-agent": lambda: str(member(Role.AGENT, tenant=other_tenant).user.public_id),
        "unknown-id": lambda: "00000000-0000-4000-8000-000000000000",
        "not-a-uuid": lambda: "bob",
    }


NON_ASSIGNABLE = ["viewer", "inactive-agent", "other-tenant-agent", "unknown-id", "not-a-uuid"]


@pytest.mark.parametrize("who", NON_ASSIGNABLE)
def test_create_with_a_non_assignable_user_is_400(tenant, client, tickets_url, non_assignable, who):
    assignee = non_assignable[who]()
    before = _counts(tenant)

    response = client.post(
        tickets_url,
        {"subject": "Hi", "customer_email": "a@example.test", "assignee": assignee},
        format="json",
    )

    assert response.status_code == 400
    assert "assignee" in field_errors(response)
    assert _counts(tenant) == before


@pytest.mark.parametrize("who", NON_ASSIGNABLE)
@pytest.mark.parametrize("route", ["patch", "assign"])
def test_assigning_a_non_assignable_user_is_400(
    tenant, client, tickets_url, non_assignable, who, route
):
    ticket = make_ticket(tenant, subject="Printer on fire")
    assignee = non_assignable[who]()
    url = f"{tickets_url}{ticket.number}/" + ("assign/" if route == "assign" else "")
    before = _counts(tenant)

    response = client.generic(
        "POST" if route == "assign" else "PATCH",
        url,
        f'{{"assignee": "{assignee}"}}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "assignee" in field_errors(response)
    assert _reload(tenant, ticket).assignee_id is None
    assert _counts(tenant) == before


# --- The assign endpoint ----------------------------------------------------------------------


def test_assign_sets_the_assignee_and_records_it(tenant, client, tickets_url, agent):
    ticket = make_ticket(tenant, subject="Printer on fire")

    response = client.post(
        f"{tickets_url}{ticket.number}/assign/",
        {"assignee": str(agent.user.public_id)},
        format="json",
    )
    with tenant_context(tenant):
        row = TicketEvent.objects.filter(ticket=ticket).latest("id")

    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == str(agent.user.public_id)
    assert response["ETag"] == '"2"'
    assert (row.field, row.old_value, row.new_value) == (
        "assignee",
        None,
        str(agent.user.public_id),
    )


def test_assign_null_unassigns(tenant, client, tickets_url, agent):
    ticket = make_ticket(tenant, subject="Printer on fire", assignee=agent.user)

    response = client.post(
        f"{tickets_url}{ticket.number}/assign/", {"assignee": None}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["assignee"] is None
    assert _reload(tenant, ticket).assignee_id is None


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"strategy": "round_robin"}, id="round-robin-not-yet"),
        pytest.param({"strategy": "least_loaded"}, id="least-loaded-not-yet"),
        pytest.param({"strategy": "manual"}, id="manual-needs-an-assignee"),
        pytest.param({"strategy": "bogus"}, id="unknown"),
        pytest.param({}, id="empty"),
    ],
)
def test_assign_without_an_explicit_assignee_is_400_and_keeps_the_assignee(
    tenant, client, tickets_url, agent, body
):
    ticket = make_ticket(tenant, subject="Printer on fire", assignee=agent.user)
    before = _counts(tenant)

    response = client.post(f"{tickets_url}{ticket.number}/assign/", body, format="json")

    assert response.status_code == 400
    assert set(field_errors(response)) & {"strategy", "assignee"}
    assert _reload(tenant, ticket).assignee_id == agent.user.pk
    assert _counts(tenant) == before


def test_assign_with_both_assignee_and_strategy_is_400(tenant, client, tickets_url, agent):
    ticket = make_ticket(tenant, subject="Printer on fire")

    response = client.post(
        f"{tickets_url}{ticket.number}/assign/",
        {"assignee": str(agent.user.public_id), "strategy": "manual"},
        format="json",
    )

    assert response.status_code == 400
    assert _reload(tenant, ticket).assignee_id is None


# --- ETag / If-Match --------------------------------------------------------------------------


def test_get_and_patch_carry_the_version_as_etag(tenant, client, tickets_url):
    ticket = make_ticket(tenant, subject="Printer on fire")
    url = f"{tickets_url}{ticket.number}/"

    got = client.get(url)
    patched = client.patch(url, {"priority": "high"}, format="json")

    assert got["ETag"] == f'"{got.json()["version"]}"' == '"1"'
    assert patched["ETag"] == f'"{patched.json()["version"]}"' == '"2"'


@pytest.mark.parametrize(
    ("if_match", "expected"),
    [
        pytest.param('"1"', 200, id="current"),
        pytest.param("*", 200, id="any"),
        pytest.param('W/"1"', 200, id="weakened-by-a-proxy"),
        pytest.param("1", 200, id="unquoted"),
        pytest.param('"0"', 412, id="stale"),
        pytest.param('"2"', 412, id="future"),
        pytest.param("1.0", 412, id="malformed-number"),
        pytest.param('"abc"', 412, id="malformed-word"),
        pytest.param('"-1"', 412, id="negative"),
        pytest.param('"\u00b2"', 412, id="superscript-digit"),
        pytest.param('"' + "9" * 40 + '"', 412, id="huge"),
        pytest.param('""', 412, id="empty-tag"),
        # RFC 9110 §13.1.1: a list of tags matches when any of them is current.
        pytest.param('"0", "1"', 200, id="list-with-current-last"),
        pytest.param('"1","7"', 200, id="list-with-current-first"),
        pytest.param('"5" , W/"1"', 200, id="list-with-weakened-current"),
        pytest.param('"abc", "1"', 200, id="list-with-a-malformed-tag-and-current"),
        pytest.param('"0", "2"', 412, id="list-without-current"),
        pytest.param('"x", "y"', 412, id="list-of-malformed-tags"),
        pytest.param(",", 412, id="list-of-nothing"),
    ],
)
def test_if_match_guards_patch(tenant, client, tickets_url, if_match, expected):
    ticket = make_ticket(tenant, subject="Printer on fire")
    before = _counts(tenant)

    response = client.patch(
        f"{tickets_url}{ticket.number}/",
        {"priority": "high"},
        format="json",
        HTTP_IF_MATCH=if_match,
    )

    assert response.status_code == expected, response.content
    assert _reload(tenant, ticket).priority == ("high" if expected == 200 else "medium")
    assert _counts(tenant)["events"] == before["events"] + (expected == 200)


def test_stale_if_match_names_the_current_version(tenant, client, tickets_url):
    ticket = make_ticket(tenant, subject="Printer on fire")

    response = client.patch(
        f"{tickets_url}{ticket.number}/", {"priority": "high"}, format="json", HTTP_IF_MATCH='"7"'
    )

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert response.json()["extra"] == {"version": 1}


# --- Delete -----------------------------------------------------------------------------------


def test_admin_deletes_a_ticket_and_the_audit_log_keeps_it(tenant, member, api_client, tickets_url):
    admin = member(Role.ADMIN)
    ticket = make_ticket(tenant, subject="Printer on fire")
    with tenant_context(tenant):
        services.comment_create(tenant=tenant, actor=Actor(), ticket=ticket, body="Hi")
    client = api_client(admin)

    response = client.delete(f"{tickets_url}{ticket.number}/")

    assert response.status_code == 204
    assert client.get(f"{tickets_url}{ticket.number}/").status_code == 404
    assert _counts(tenant) == {"tickets": 0, "customers": 1, "comments": 0, "events": 0}
    rows = audit_log_rows(
        tenant, "ticket.deleted", fields=("target_id", "target_label", "actor_label")
    )
    assert rows == [
        {
            "target_id": str(ticket.number),
            "target_label": f"#{ticket.number}",  # no subject (PII) in the append-only log
            "actor_label": admin.user.email,
        }
    ]


def test_agent_cannot_delete_a_ticket(tenant, client, tickets_url):
    ticket = make_ticket(tenant, subject="Printer on fire")
    before = _counts(tenant)

    response = client.delete(f"{tickets_url}{ticket.number}/")

    assert response.status_code == 403
    assert _counts(tenant) == before
    assert audit_log_rows(tenant, "ticket.deleted", fields=("target_id",)) == []


# --- Comments ---------------------------------------------------------------------------------


def test_comments_are_listed_oldest_first_with_internal_notes(
    tenant, member, api_client, client, tickets_url, agent
):
    ticket = make_ticket(tenant, subject="Printer on fire")
    url = f"{tickets_url}{ticket.number}/comments/"
    for body, public in [("first", True), ("note", False), ("third", True)]:
        assert client.post(url, {"body": body, "public": public}, format="json").status_code == 201

    response = api_client(member(Role.VIEWER)).get(url)

    assert response.status_code == 200
    assert [(c["body"], c["public"]) for c in response.json()["results"]] == [
        ("first", True),
        ("note", False),
        ("third", True),
    ]
    assert {c["author_user"] for c in response.json()["results"]} == {str(agent.user.public_id)}


def test_comment_defaults_to_public(tenant, client, tickets_url):
    ticket = make_ticket(tenant, subject="Printer on fire")

    response = client.post(f"{tickets_url}{ticket.number}/comments/", {"body": "Hi"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["public"] is True


def test_viewer_cannot_comment(tenant, member, api_client, tickets_url):
    ticket = make_ticket(tenant, subject="Printer on fire")
    before = _counts(tenant)

    response = api_client(member(Role.VIEWER)).post(
        f"{tickets_url}{ticket.number}/comments/", {"body": "Me too"}, format="json"
    )

    assert response.status_code == 403
    assert _counts(tenant) == before


def test_comment_on_a_closed_ticket_is_409(tenant, client, tickets_url):
    ticket = make_ticket(tenant, subject="Printer on fire")
    with tenant_context(tenant):
        services.ticket_update(tenant=tenant, actor=Actor(), ticket=ticket, status="closed")
    before = _counts(tenant)

    response = client.post(f"{tickets_url}{ticket.number}/comments/", {"body": "Hi"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"
    assert _counts(tenant) == before


# --- History endpoint -------------------------------------------------------------------------


def test_events_are_listed_oldest_first(tenant, client, tickets_url, agent):
    ticket = make_ticket(tenant, subject="Printer on fire")
    url = f"{tickets_url}{ticket.number}/"
    client.patch(url, {"priority": "high"}, format="json")
    client.patch(url, {"status": "in_progress"}, format="json")
    client.post(f"{url}comments/", {"body": "On it"}, format="json")

    response = client.get(f"{url}events/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["field"], r["old"], r["new"]) for r in rows[:3]] == [
        ("ticket", None, "created"),
        ("priority", "medium", "high"),
        ("status", "open", "in_progress"),
    ]
    assert rows[3]["field"] == "first_response_at"
    assert [r["actor"] for r in rows] == ["system", *[agent.user.email] * 3]
    assert rows[1]["actor_user"] == str(agent.user.public_id)


def test_events_of_a_missing_ticket_are_404(tenant, client, tickets_url):
    response = client.get(f"{tickets_url}999/events/")

    assert response.status_code == 404
