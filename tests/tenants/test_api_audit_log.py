from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Role
from tests.errors import field_errors
from tests.tenants.recipes import audit_entry_recipe


def audit_url(tenant) -> str:
    return f"/api/v1/t/{tenant.slug}/audit-log/"


def actions(response) -> list[str]:
    return [row["action"] for row in response.json()["results"]]


@pytest.fixture
def supervisor(member):
    return member(Role.SUPERVISOR)


@pytest.fixture
def supervisor_client(api_client, supervisor):
    return api_client(supervisor)


@pytest.fixture
def timed_entries(tenant):
    """Three entries an hour apart, created out of order: first, second, third."""
    now = timezone.now()
    with tenant_context(tenant):
        audit_entry_recipe.make(tenant=tenant, action="second", created_at=now - timedelta(hours=2))
        audit_entry_recipe.make(tenant=tenant, action="third", created_at=now - timedelta(hours=1))
        audit_entry_recipe.make(tenant=tenant, action="first", created_at=now - timedelta(hours=3))
    return now


# --- Listing ----------------------------------------------------------------------------------


def test_list_is_newest_first(supervisor_client, tenant, timed_entries):
    response = supervisor_client.get(audit_url(tenant))

    assert response.status_code == 200, response.content
    assert actions(response) == ["third", "second", "first"]


def test_write_is_listed_with_actor_target_change_ip_and_request_id(
    member, api_client, supervisor_client, tenant
):
    admin = member(Role.ADMIN)
    agent = member(Role.AGENT)

    write = api_client(admin).patch(
        f"/api/v1/t/{tenant.slug}/members/{agent.public_id}/",
        {"role": "viewer"},
        format="json",
        HTTP_X_REQUEST_ID="req-12345678",
    )
    response = supervisor_client.get(audit_url(tenant))

    assert write.status_code == 200, write.content
    assert response.status_code == 200, response.content
    [row] = response.json()["results"]
    assert row["actor"] == admin.user.email
    assert row["actor_user"] == str(admin.user.public_id)
    assert row["action"] == "member.updated"
    assert (row["target_type"], row["target_id"], row["target_label"]) == (
        "member",
        str(agent.public_id),
        agent.user.email,
    )
    assert (row["before"], row["after"]) == ({"role": "agent"}, {"role": "viewer"})
    assert row["ip_address"] == "127.0.0.1"
    assert row["request_id"] == "req-12345678"
    with tenant_context(tenant):
        assert AuditLogEntry.objects.get().request_id == "req-12345678"


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("short", id="too-short"),
        pytest.param("has spaces in it", id="spaces"),
        pytest.param("x" * 65, id="too-long"),
        pytest.param("<script>alert(1)</script>", id="markup"),
    ],
)
def test_insane_request_id_is_replaced_not_stored(member, api_client, tenant, header):
    admin = member(Role.ADMIN)
    agent = member(Role.AGENT)

    response = api_client(admin).patch(
        f"/api/v1/t/{tenant.slug}/members/{agent.public_id}/",
        {"role": "viewer"},
        format="json",
        HTTP_X_REQUEST_ID=header,
    )

    assert response.status_code == 200, response.content
    with tenant_context(tenant):
        stored = AuditLogEntry.objects.get().request_id
    assert stored != header
    assert stored == response["X-Request-ID"]


def test_api_key_write_is_listed_with_the_key_as_actor(
    api_key_client, supervisor_client, member, tenant
):
    key_client, api_key = api_key_client(tenant, Role.ADMIN)
    agent = member(Role.AGENT)

    key_client.patch(
        f"/api/v1/t/{tenant.slug}/members/{agent.public_id}/", {"is_senior": True}, format="json"
    )
    response = supervisor_client.get(audit_url(tenant), {"action": "member.updated"})

    [row] = response.json()["results"]
    assert row["actor"] == f"api-key:{api_key.name} ({api_key.prefix})"
    assert row["actor_user"] is None


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param(Role.OWNER, 200, id="owner-200"),
        pytest.param(Role.ADMIN, 200, id="admin-200"),
        pytest.param(Role.SUPERVISOR, 200, id="supervisor-200"),
        pytest.param(Role.AGENT, 403, id="agent-403"),
        pytest.param(Role.VIEWER, 403, id="viewer-403"),
    ],
)
def test_audit_log_by_role(member, api_client, tenant, role, expected):
    caller = member(role)

    response = api_client(caller).get(audit_url(tenant))

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param(Role.SUPERVISOR, 200, id="supervisor-key-200"),
        pytest.param(Role.AGENT, 403, id="agent-key-403"),
    ],
)
def test_audit_log_by_api_key_role(api_key_client, tenant, role, expected):
    client, _ = api_key_client(tenant, role)

    response = client.get(audit_url(tenant))

    assert response.status_code == expected


def test_agent_gets_403_without_entries(member, api_client, tenant, timed_entries):
    response = api_client(member(Role.AGENT)).get(audit_url(tenant))

    assert response.status_code == 403
    assert "results" not in response.json()


def test_other_tenants_entries_never_appear(supervisor_client, tenant, other_tenant):
    with tenant_context(tenant):
        audit_entry_recipe.make(tenant=tenant, action="alpha.thing")
    with tenant_context(other_tenant):
        audit_entry_recipe.make(tenant=other_tenant, action="bravo.thing")

    response = supervisor_client.get(audit_url(tenant))

    assert response.status_code == 200
    assert actions(response) == ["alpha.thing"]


def test_other_tenants_entries_never_appear_even_when_filtered_for(
    supervisor_client, member, tenant, other_tenant
):
    foreign = member(Role.OWNER, tenant=other_tenant)
    with tenant_context(other_tenant):
        audit_entry_recipe.make(tenant=other_tenant, action="bravo.thing", actor_user=foreign.user)

    by_action = supervisor_client.get(audit_url(tenant), {"action": "bravo.thing"})
    by_actor = supervisor_client.get(audit_url(tenant), {"actor": str(foreign.user.public_id)})

    assert by_action.json()["results"] == []
    assert by_actor.json()["results"] == []


def test_audit_log_of_another_tenant_is_404(supervisor_client, other_tenant):
    with tenant_context(other_tenant):
        audit_entry_recipe.make(tenant=other_tenant)

    response = supervisor_client.get(audit_url(other_tenant))

    assert response.status_code == 404


# --- Filters ----------------------------------------------------------------------------------


def test_filter_by_action(supervisor_client, tenant):
    with tenant_context(tenant):
        audit_entry_recipe.make(tenant=tenant, action="member.added")
        audit_entry_recipe.make(tenant=tenant, action="member.removed")

    response = supervisor_client.get(audit_url(tenant), {"action": "member.added"})

    assert response.status_code == 200
    assert actions(response) == ["member.added"]


def test_filter_by_unknown_action_is_empty(supervisor_client, tenant, timed_entries):
    response = supervisor_client.get(audit_url(tenant), {"action": "nothing.happened"})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_filter_by_actor(supervisor_client, member, tenant):
    alice = member(Role.ADMIN)
    bob = member(Role.ADMIN)
    with tenant_context(tenant):
        audit_entry_recipe.make(tenant=tenant, action="by.alice", actor_user=alice.user)
        audit_entry_recipe.make(tenant=tenant, action="by.bob", actor_user=bob.user)
        audit_entry_recipe.make(tenant=tenant, action="by.system")

    response = supervisor_client.get(audit_url(tenant), {"actor": str(alice.user.public_id)})

    assert response.status_code == 200
    assert actions(response) == ["by.alice"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"actor": "not-a-uuid"}, "actor", id="actor-not-uuid"),
        pytest.param({"actor": "12"}, "actor", id="actor-integer"),
        pytest.param({"created_after": "yesterday"}, "created_after", id="created-after-word"),
        pytest.param({"created_before": "2024-13-40"}, "created_before", id="created-before-bad"),
        pytest.param({"action": "x" * 65}, "action", id="action-too-long"),
        pytest.param(
            {"created_after": "0001-01-01T00:00:00+14:00"}, "created_after", id="year-0-in-utc"
        ),
        pytest.param(
            {"created_before": "2024-01-01T00:00:00+16:00"}, "created_before", id="offset-16h"
        ),
    ],
)
def test_invalid_filter_is_400(supervisor_client, tenant, params, field):
    response = supervisor_client.get(audit_url(tenant), params)

    assert response.status_code == 400
    assert field in field_errors(response)


def test_filter_created_after(supervisor_client, tenant, timed_entries):
    cutoff = timed_entries - timedelta(hours=2, minutes=30)

    response = supervisor_client.get(audit_url(tenant), {"created_after": cutoff.isoformat()})

    assert response.status_code == 200, response.content
    assert actions(response) == ["third", "second"]


def test_filter_created_after_in_the_future_is_empty(supervisor_client, tenant, timed_entries):
    later = timed_entries + timedelta(days=1)

    response = supervisor_client.get(audit_url(tenant), {"created_after": later.isoformat()})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_filter_created_before(supervisor_client, tenant, timed_entries):
    cutoff = timed_entries - timedelta(hours=1, minutes=30)

    response = supervisor_client.get(audit_url(tenant), {"created_before": cutoff.isoformat()})

    assert response.status_code == 200, response.content
    assert actions(response) == ["second", "first"]


# --- Pagination -------------------------------------------------------------------------------


def test_cursor_pagination_follows_next(supervisor_client, tenant, timed_entries):
    first_page = supervisor_client.get(audit_url(tenant), {"page_size": 1})

    assert first_page.status_code == 200
    assert actions(first_page) == ["third"]
    assert first_page.json()["previous"] is None
    assert first_page.json()["next"] is not None

    second_page = supervisor_client.get(first_page.json()["next"])

    assert second_page.status_code == 200, second_page.content
    assert actions(second_page) == ["second"]
    assert second_page.json()["previous"] is not None


def test_last_page_has_no_next(supervisor_client, tenant, timed_entries):
    response = supervisor_client.get(audit_url(tenant), {"page_size": 3})

    assert actions(response) == ["third", "second", "first"]
    assert response.json()["next"] is None


def test_page_size_is_capped_at_100(supervisor_client, tenant):
    with tenant_context(tenant):
        audit_entry_recipe.make(tenant=tenant, _quantity=105)

    response = supervisor_client.get(audit_url(tenant), {"page_size": 1000})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 100
    assert response.json()["next"] is not None
    rest = supervisor_client.get(response.json()["next"])
    assert len(rest.json()["results"]) == 5


def test_invalid_cursor_is_400_not_500(supervisor_client, tenant, timed_entries):
    response = supervisor_client.get(audit_url(tenant), {"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_audit_log_is_read_only(supervisor_client, member, api_client, tenant):
    owner_client = api_client(member(Role.OWNER))
    with tenant_context(tenant):
        entry = audit_entry_recipe.make(tenant=tenant, action="keep.me")

    created = owner_client.post(audit_url(tenant), {"action": "forged"}, format="json")
    deleted = owner_client.delete(f"{audit_url(tenant)}{entry.public_id}/")

    assert created.status_code == 405
    assert deleted.status_code == 404
    assert actions(supervisor_client.get(audit_url(tenant))) == ["keep.me"]


def test_entries_outlive_the_user_they_name(api_client, member, tenant):
    reader = api_client(member(Role.SUPERVISOR))
    gone = member(Role.AGENT)
    with tenant_context(tenant):
        audit_entry_recipe.make(
            tenant=tenant, action="by.gone", actor_user=gone.user, actor_label="gone@x.test"
        )

    gone.user.delete()  # the append-only table cannot be rewritten by ON DELETE
    response = reader.get(audit_url(tenant), {"action": "by.gone"})

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["actor"], row["actor_user"]) == ("gone@x.test", None)
