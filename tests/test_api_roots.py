"""Where a person starts: the roots answer with links, unmatched API paths are JSON 404s, the
tenant root links to its collections, and the browsable API can write on tenant routes."""

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tenants.models import Role
from tests.conftest import PASSWORD


@pytest.mark.parametrize("path", ["/", "/api/v1/"])
def test_roots_answer_with_links_that_resolve(db, path):
    client = APIClient()

    response = client.get(path)

    assert response.status_code == 200
    links = response.json()["links"]
    assert links
    for url in links.values():
        # Anonymous: some answer 401 (auth/me), the admin redirects to its login; none is a 404.
        assert client.get(url).status_code in (200, 302, 401, 405), url


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing/", "/api/v2/", "/api/v1/t/alpha/nothing/", "/api/", "/api/v1/t"]
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_unmatched_api_paths_are_json_404s(db, settings, path, method, debug):
    settings.DEBUG = debug

    response = getattr(APIClient(), method)(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_tenant_root_links_to_its_collections(member, api_client, tenant):
    client = api_client(member(Role.OWNER))

    body = client.get(f"/api/v1/t/{tenant.slug}/").json()

    assert body["url"] == f"http://testserver/api/v1/t/{tenant.slug}/"
    assert {"tickets", "customers", "members", "api-keys", "audit-log", "exports"} <= set(
        body["links"]
    )
    for url in body["links"].values():
        assert client.get(url).status_code == 200, url


def test_tenant_list_links_each_tenant(member, api_client, tenant):
    client = api_client(member(Role.VIEWER))

    [item] = client.get("/api/v1/t/").json()

    assert item["url"] == f"http://testserver/api/v1/t/{tenant.slug}/"
    assert client.get(item["url"]).status_code == 200


def test_browsable_login_without_next_lands_on_the_tenant_list(member):
    agent = member(Role.AGENT)

    # A browser posts the HTML form (the API client would send JSON).
    response = Client().post(
        "/api-auth/login/", {"username": agent.user.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/api/v1/t/"


@pytest.mark.parametrize(
    ("role", "has_form"), [(Role.AGENT, True), (Role.VIEWER, False)], ids=["agent", "viewer"]
)
def test_browsable_api_offers_a_create_form_to_roles_that_may_create(
    member, tenant, role, has_form
):
    client = APIClient()
    client.force_login(member(role).user)

    response = client.get(f"/api/v1/t/{tenant.slug}/tickets/", HTTP_ACCEPT="text/html")
    html = response.content.decode()

    assert response.status_code == 200
    # The input serializer's fields (customer_email is input-only), not the output's.
    assert ('name="customer_email"' in html) is has_form
    assert ('name="number"' in html) is False


def test_browsable_api_detail_offers_the_update_form(member, tenant, in_tenant):
    from tenants.access import Actor
    from tickets import services

    with in_tenant(tenant):
        ticket = services.ticket_create(
            tenant=tenant, actor=Actor(), subject="Form", customer_email="f@example.test"
        )
    client = APIClient()
    client.force_login(member(Role.AGENT).user)

    response = client.get(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/", HTTP_ACCEPT="text/html"
    )
    html = response.content.decode()
    [form] = re.findall(r'<textarea name="_content".*?</textarea>', html, re.S)

    assert response.status_code == 200
    # The PATCH form holds the update serializer's fields (subject is writable, number is not).
    assert 'data-method="PATCH"' in html
    assert "&quot;subject&quot;: &quot;Form&quot;" in form
    assert "&quot;number&quot;" not in form


def test_the_ticket_form_posted_as_a_browser_sends_it_creates_a_ticket(member, tenant, in_tenant):
    from tickets.models import Ticket

    client = Client()
    client.force_login(member(Role.AGENT).user)
    # Every field of the form, as the browser submits it with only subject and email typed.
    form = {
        "subject": "From the form",
        "description": "",
        "priority": "medium",
        "category": "",
        "channel": "api",
        "requester": "",
        "customer_email": "form@example.test",
        "customer_name": "",
        "assignee": "",
        "metadata": "{}",
        "external_id": "",
    }

    response = client.post(f"/api/v1/t/{tenant.slug}/tickets/", form, HTTP_ACCEPT="text/html")

    assert response.status_code == 201, response.content[-600:]
    with in_tenant(tenant):
        ticket = Ticket.objects.select_related("requester").get(subject="From the form")
    assert (ticket.priority, ticket.metadata, ticket.external_id) == ("medium", {}, None)
    assert ticket.requester.email == "form@example.test"


def test_the_ticket_form_offers_the_customers_and_opens_a_ticket_for_the_one_chosen(
    member, tenant, in_tenant
):
    from tests.tickets.recipes import customer_recipe
    from tickets.models import Ticket

    with in_tenant(tenant):
        customer = customer_recipe.make(tenant=tenant, email="chosen@example.test")
    client = Client()
    client.force_login(member(Role.AGENT).user)

    html = client.get(f"/api/v1/t/{tenant.slug}/tickets/", HTTP_ACCEPT="text/html").content
    response = client.post(
        f"/api/v1/t/{tenant.slug}/tickets/",
        {"subject": "Chosen", "requester": str(customer.public_id), "customer_email": ""},
        HTTP_ACCEPT="text/html",
    )

    assert re.search(
        rf'<option value="{customer.public_id}"\s*>\s*chosen@example.test\s*</option>',
        html.decode(),
    )
    assert response.status_code == 201, response.content[-600:]
    with in_tenant(tenant):
        assert Ticket.objects.get(subject="Chosen").requester_id == customer.pk


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_a_create_that_fails_after_its_writes_began_is_a_400_not_a_500(
    member, tenant, in_tenant, monkeypatch, accept
):
    # ticket_create keeps no savepoint: when its insert fails (an external_id taken by a
    # concurrent create between the check and the insert), the request's transaction is
    # broken, and the browsable API's page, which queries for its forms, cannot render.
    from django.db import IntegrityError

    from tickets.models import Customer, Ticket
    from tickets.services import tickets as ticket_services

    class _Taken:
        def insert(self, ticket):
            raise IntegrityError("duplicate key value violates tickets_ticket_external_id")

    monkeypatch.setattr(ticket_services, "_TICKET_INSERT", _Taken())
    client = Client()
    client.force_login(member(Role.AGENT).user)

    response = client.post(
        f"/api/v1/t/{tenant.slug}/tickets/",
        {"subject": "Raced", "customer_email": "raced@example.test", "external_id": "X-1"},
        HTTP_ACCEPT=accept,
    )

    assert response.status_code == 400, response.content[-600:]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["errors"] == {
        "external_id": ["A ticket with this external_id already exists."]
    }
    with in_tenant(tenant):  # the customer it created went with the failed request
        assert not Customer.objects.exists() and not Ticket.objects.exists()


def test_the_ticket_form_starts_on_the_defaults_of_a_new_ticket(member, tenant):
    client = APIClient()
    client.force_login(member(Role.AGENT).user)

    html = client.get(f"/api/v1/t/{tenant.slug}/tickets/", HTTP_ACCEPT="text/html").content
    html = html.decode()

    assert re.search(r'<option value="medium"\s+selected\s*>', html)
    assert re.search(r'name="metadata"[^>]*>\s*\{\}\s*</textarea>', html)


def test_the_comment_form_starts_as_a_public_reply(member, tenant, in_tenant):
    from tenants.access import Actor
    from tickets import services

    with in_tenant(tenant):
        ticket = services.ticket_create(
            tenant=tenant, actor=Actor(), subject="Form", customer_email="f@example.test"
        )
    client = APIClient()
    client.force_login(member(Role.AGENT).user)

    html = client.get(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/comments/", HTTP_ACCEPT="text/html"
    ).content.decode()

    assert re.search(r'name="public"[^>]*checked', html)


def test_a_form_metadata_that_is_not_json_is_a_field_error(member, tenant):
    client = Client()
    client.force_login(member(Role.AGENT).user)

    response = client.post(
        f"/api/v1/t/{tenant.slug}/tickets/",
        {"subject": "x", "customer_email": "x@example.test", "metadata": "{not json"},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"metadata": ["Must be valid JSON."]}
