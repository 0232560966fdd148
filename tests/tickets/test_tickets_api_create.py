"""Creating tickets through the API: requester by id or email, defaults, every field, tags,
metadata, and external_id uniqueness per tenant."""

import pytest

from tenants.context import tenant_context
from tests.errors import field_errors
from tests.tickets.helpers import make_ticket
from tests.tickets.recipes import customer_recipe
from tests.tickets.tickets_api_helpers import _counts, _reload
from tickets.models import Customer


@pytest.fixture
def client(api_client, agent):
    return api_client(agent)


# --- Create ---------------------------------------------------------------------------------------


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


@pytest.mark.parametrize(
    "value",
    ["6f1c1d3e-8a6e-4c1b-9d9e-2b7f0c4a5e61", "not-a-uuid", "6F1C1D3E8A6E4C1B9D9E2B7F0C4A5E61x"],
    ids=["unknown", "malformed", "malformed-long"],
)
def test_create_with_a_requester_id_that_names_no_customer_is_400(
    tenant, client, tickets_url, value
):
    # The id is resolved by the service under its lock, not by the serializer: the answer is
    # the same field error the serializer gave.
    with tenant_context(tenant):
        customer_recipe.make(tenant=tenant)
    before = _counts(tenant)

    response = client.post(tickets_url, {"subject": "Hi", "requester": value}, format="json")

    assert response.status_code == 400, response.content
    assert field_errors(response) == {
        "requester": [f"Object with public_id={value} does not exist."]
    }
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


# --- external_id ----------------------------------------------------------------------------------


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
