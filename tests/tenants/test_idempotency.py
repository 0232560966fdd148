"""Idempotency-Key on tenant POSTs: replay, 422 on a different body, 409 while in flight."""

import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.recipes import customer_recipe
from tickets.models import Customer, Ticket


def _tickets_url(tenant):
    return f"/api/v1/t/{tenant.slug}/tickets/"


BODY = {"subject": "Printer on fire", "customer_email": "bob@example.test"}


def _ticket_count(tenant):
    with tenant_context(tenant):
        return Ticket.objects.count()


@pytest.fixture
def agent_client(member, api_client):
    return api_client(member(Role.AGENT))


def test_same_key_and_body_replays_the_first_response(agent_client, tenant):
    first = agent_client.post(_tickets_url(tenant), BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = agent_client.post(_tickets_url(tenant), BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["ETag"] == first["ETag"]
    assert "Idempotent-Replayed" not in first
    assert _ticket_count(tenant) == 1


def test_without_a_key_each_post_creates(agent_client, tenant):
    agent_client.post(_tickets_url(tenant), BODY, format="json")
    agent_client.post(_tickets_url(tenant), BODY, format="json")

    assert _ticket_count(tenant) == 2


def test_same_key_with_another_body_is_422_and_creates_nothing(agent_client, tenant):
    agent_client.post(_tickets_url(tenant), BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    other = agent_client.post(
        _tickets_url(tenant),
        {**BODY, "subject": "Other"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )

    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert _ticket_count(tenant) == 1


def test_keys_are_scoped_per_principal(member, api_client, tenant):
    first = api_client(member(Role.AGENT))
    second = api_client(member(Role.AGENT))

    a = first.post(_tickets_url(tenant), BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    b = second.post(_tickets_url(tenant), BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")

    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["number"] != b.json()["number"]
    assert "Idempotent-Replayed" not in b


def test_keys_are_scoped_per_tenant(member, api_client, tenant, other_tenant):
    user_owner = member(Role.AGENT)
    there = member(Role.AGENT, tenant=other_tenant)
    client_here = api_client(user_owner)
    client_there = api_client(there)

    here = client_here.post(_tickets_url(tenant), BODY, format="json", HTTP_IDEMPOTENCY_KEY="t")
    away = client_there.post(
        _tickets_url(other_tenant), BODY, format="json", HTTP_IDEMPOTENCY_KEY="t"
    )

    assert (here.status_code, away.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in away
    assert _ticket_count(other_tenant) == 1


def test_a_failed_request_records_nothing_and_the_key_can_be_reused(agent_client, tenant):
    bad = agent_client.post(
        _tickets_url(tenant), {"subject": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )
    good = agent_client.post(_tickets_url(tenant), BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-3")

    assert bad.status_code == 400
    assert good.status_code == 201
    assert "Idempotent-Replayed" not in good


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "tab\there"], ids=str.__len__)
def test_malformed_key_is_400_and_creates_nothing(agent_client, tenant, key):
    response = agent_client.post(
        _tickets_url(tenant), BODY, format="json", HTTP_IDEMPOTENCY_KEY=key
    )

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert _ticket_count(tenant) == 0


def test_quoted_structured_field_key_is_accepted(agent_client, tenant):
    a = agent_client.post(_tickets_url(tenant), BODY, format="json", HTTP_IDEMPOTENCY_KEY='"q-1"')
    b = agent_client.post(_tickets_url(tenant), BODY, format="json", HTTP_IDEMPOTENCY_KEY="q-1")

    assert b["Idempotent-Replayed"] == "true"
    assert a.json() == b.json()


def test_records_expire_after_the_ttl(agent_client, tenant, settings):
    settings.IDEMPOTENCY_TTL_HOURS = 0  # expires immediately
    agent_client.post(_tickets_url(tenant), BODY, format="json", HTTP_IDEMPOTENCY_KEY="ttl")

    again = agent_client.post(_tickets_url(tenant), BODY, format="json", HTTP_IDEMPOTENCY_KEY="ttl")

    assert "Idempotent-Replayed" not in again
    assert _ticket_count(tenant) == 2


def test_other_posts_of_the_tenant_api_are_idempotent_too(agent_client, tenant):
    url = f"/api/v1/t/{tenant.slug}/customers/"
    body = {"email": "carol@example.test"}

    first = agent_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    again = agent_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="c-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    with tenant_context(tenant):
        assert Customer.objects.filter(email="carol@example.test").count() == 1


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_a_concurrent_twin_is_409_while_the_first_runs(member, api_client, tenant, monkeypatch):
    client = api_client(member(Role.AGENT))
    with tenant_context(tenant):
        customer = customer_recipe.make(tenant=tenant)
    body = {"subject": "Slow", "requester": str(customer.public_id)}
    started, release = threading.Event(), threading.Event()

    from tickets import services

    real_create = services.ticket_create

    def slow_create(**kwargs):
        started.set()
        release.wait(10)
        return real_create(**kwargs)

    monkeypatch.setattr(services, "ticket_create", slow_create)
    results = {}

    def first():
        try:
            results["first"] = client.post(
                _tickets_url(tenant), body, format="json", HTTP_IDEMPOTENCY_KEY="twin"
            )
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(10)
    twin = client.post(_tickets_url(tenant), body, format="json", HTTP_IDEMPOTENCY_KEY="twin")
    release.set()
    thread.join(15)
    time.sleep(0)  # let the thread's connection close
    replay = client.post(_tickets_url(tenant), body, format="json", HTTP_IDEMPOTENCY_KEY="twin")

    assert twin.status_code == 409
    assert twin.json()["code"] == "idempotency_in_progress"
    assert results["first"].status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert _ticket_count(tenant) == 1


def test_same_bytes_under_another_name_or_type_is_another_request(
    agent_client, tenant, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    created = agent_client.post(_tickets_url(tenant), BODY, format="json").json()
    url = f"{_tickets_url(tenant)}{created['number']}/attachments/"

    def upload(name, content_type):
        return agent_client.post(
            url,
            {"file": SimpleUploadedFile(name, b"same,bytes\n", content_type)},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first = upload("a.txt", "text/plain")
    again = upload("a.txt", "text/plain")
    renamed = upload("b.csv", "text/csv")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert renamed.status_code == 422
