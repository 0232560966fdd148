"""Edges of the request surface the review found loose: booleans that were silently ignored,
list filters on detail routes, repeated form fields, time zone aliases, settings that name
something this deployment cannot run."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tenants.context import tenant_context
from tenants.models import Role, Tenant
from tests.errors import field_errors
from tests.tickets.helpers import make_ticket
from tickets.models import Attachment


@pytest.fixture
def owner_client(member, api_client):
    return api_client(member(Role.OWNER))


@pytest.fixture
def ticket(tenant):
    return make_ticket(
        tenant, subject="Edge", customer_email="edge@example.test", status="in_progress"
    )


# --- Booleans ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["maybe", "yes", "2", "on"])
def test_member_is_active_filter_takes_only_true_or_false(owner_client, tenant, value):
    response = owner_client.get(f"/api/v1/t/{tenant.slug}/members/", {"is_active": value})

    assert "is_active" in field_errors(response)


@pytest.mark.parametrize(("value", "count"), [("true", 1), ("false", 0), ("1", 1), ("0", 0)])
def test_member_is_active_filter_filters(owner_client, tenant, value, count):
    response = owner_client.get(f"/api/v1/t/{tenant.slug}/members/", {"is_active": value})

    assert response.status_code == 200
    assert len(response.json()["results"]) == count


# --- Detail routes ignore list filters --------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"status": "closed"}, id="filter-that-excludes-it"),
        pytest.param({"status": "no-such-status"}, id="malformed-filter"),
        pytest.param({"ordering": "bogus", "search": "nothing matches this"}, id="search"),
    ],
)
def test_ticket_detail_is_the_ticket_whatever_the_list_filters_say(
    owner_client, tenant, ticket, query
):
    response = owner_client.get(f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/", query)

    assert response.status_code == 200, response.content
    assert response.json()["number"] == ticket.number


def test_ticket_patch_ignores_list_filters_too(owner_client, tenant, ticket):
    response = owner_client.patch(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/?status=closed",
        {"priority": "high"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["priority"] == "high"


def test_customer_and_member_details_ignore_list_filters(owner_client, tenant, ticket):
    membership = owner_client.get(f"/api/v1/t/{tenant.slug}/members/").json()["results"][0]

    customer = owner_client.get(
        f"/api/v1/t/{tenant.slug}/customers/{ticket.requester.public_id}/", {"tier": "enterprise"}
    )
    member = owner_client.get(
        f"/api/v1/t/{tenant.slug}/members/{membership['id']}/", {"role": "viewer"}
    )

    assert (customer.status_code, member.status_code) == (200, 200)


def test_the_list_still_filters(owner_client, tenant, ticket):
    response = owner_client.get(f"/api/v1/t/{tenant.slug}/tickets/", {"status": "closed"})

    assert response.json()["results"] == []


# --- Repeated form fields ---------------------------------------------------------------------


def test_two_file_parts_in_one_upload_are_400_and_store_nothing(
    owner_client, tenant, ticket, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    files = [
        SimpleUploadedFile("a.txt", b"first", content_type="text/plain"),
        SimpleUploadedFile("b.txt", b"second", content_type="text/plain"),
    ]

    response = owner_client.post(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/attachments/",
        {"file": files},
        format="multipart",
    )

    assert field_errors(response) == {"file": ["Send this field once."]}
    with tenant_context(tenant):
        assert not Attachment.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_repeated_form_field_is_400(owner_client, tenant):
    response = owner_client.patch(
        f"/api/v1/t/{tenant.slug}/",
        "name=One&name=Two",
        content_type="application/x-www-form-urlencoded",
    )

    assert field_errors(response) == {"name": ["Send this field once."]}
    assert Tenant.objects.get(pk=tenant.pk).name == "Alpha Co"


# --- Time zones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["localtime", "posixrules", "Factory", "posix/Europe/Paris", "right/UTC"]
)
def test_time_zone_aliases_are_rejected(owner_client, tenant, name):
    patched = owner_client.patch(f"/api/v1/t/{tenant.slug}/", {"timezone": name}, format="json")
    created = owner_client.post(
        "/api/v1/t/", {"slug": "zoned", "name": "Zoned", "timezone": name}, format="json"
    )

    assert "timezone" in field_errors(patched)
    assert "timezone" in field_errors(created)
    assert Tenant.objects.get(pk=tenant.pk).timezone == "UTC"
    assert not Tenant.objects.filter(slug="zoned").exists()


@pytest.mark.parametrize("name", ["Europe/Paris", "America/Argentina/Buenos_Aires", "UTC"])
def test_real_time_zones_are_accepted(owner_client, tenant, name):
    response = owner_client.patch(f"/api/v1/t/{tenant.slug}/", {"timezone": name}, format="json")

    assert response.status_code == 200, response.content
    assert Tenant.objects.get(pk=tenant.pk).timezone == name


# --- Settings ---------------------------------------------------------------------------------


def test_an_assignment_strategy_this_build_cannot_run_is_rejected(owner_client, tenant):
    response = owner_client.patch(
        f"/api/v1/t/{tenant.slug}/",
        {"settings": {"assignment_strategy": "seniors_first"}},
        format="json",
    )

    assert "assignment_strategy" in field_errors(response)["settings"]
    assert Tenant.objects.get(pk=tenant.pk).settings == {}


@pytest.mark.parametrize("strategy", ["round_robin", "least_loaded"])
def test_automatic_strategies_can_be_chosen(owner_client, tenant, strategy):
    response = owner_client.patch(
        f"/api/v1/t/{tenant.slug}/", {"settings": {"assignment_strategy": strategy}}, format="json"
    )

    assert response.status_code == 200, response.content
    assert Tenant.objects.get(pk=tenant.pk).settings == {"assignment_strategy": strategy}


def test_manual_assignment_is_a_strategy_that_runs(owner_client, tenant):
    response = owner_client.patch(
        f"/api/v1/t/{tenant.slug}/", {"settings": {"assignment_strategy": "manual"}}, format="json"
    )

    assert response.status_code == 200, response.content
    assert Tenant.objects.get(pk=tenant.pk).settings == {"assignment_strategy": "manual"}
