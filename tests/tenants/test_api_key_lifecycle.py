"""API keys trace to a person and end with that person's role; their secret is shown once and
never rests anywhere (not even in an Idempotency-Key record)."""

import hashlib
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tenants import idempotency, services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.exceptions import ApiKeyCreatorRequiredError
from tenants.models import ApiKey, IdempotencyRecord, Membership, Role
from tests.errors import field_errors
from tests.tenants.helpers import audit_log_rows
from tests.tenants.recipes import api_key_recipe, user_recipe


def keys_url(tenant) -> str:
    return f"/api/v1/t/{tenant.slug}/api-keys/"


def member_url(membership) -> str:
    return f"/api/v1/t/{membership.tenant.slug}/members/{membership.public_id}/"


def key_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def make_key(tenant, creator, role=Role.ADMIN, name="key"):
    """(raw key, ApiKey) created by the member `creator`."""
    api_key, raw = services.api_key_create(
        tenant=tenant, actor=Actor(user=creator.user, role=creator.role), name=name, role=role
    )
    return raw, api_key


def revocations(tenant) -> list[dict]:
    return audit_log_rows(
        tenant, "api_key.revoked", fields=("target_id", "actor_label", "before", "after")
    )


@pytest.fixture
def creator(member):
    return member(Role.ADMIN)


# --- Every key traces to a person -------------------------------------------------------------


def test_key_created_by_a_person_shows_them_as_creator(owner_client, creator, tenant):
    _, api_key = make_key(tenant, creator)

    [row] = owner_client.get(keys_url(tenant)).json()["results"]

    assert (row["id"], row["created_by"], row["created_by_key"]) == (
        str(api_key.public_id),
        creator.user.email,
        None,
    )


def test_key_created_by_a_key_records_the_chain_back_to_the_person(creator, tenant):
    raw, parent = make_key(tenant, creator)

    response = key_client(raw).post(
        keys_url(tenant), {"name": "child", "role": "agent"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["created_by"], body["created_by_key"]) == (
        creator.user.email,
        str(parent.public_id),
    )
    child = ApiKey.objects.get(public_id=body["id"])
    assert (child.created_by, child.created_by_key) == (creator.user, parent)


@pytest.mark.parametrize(
    "actor",
    [
        pytest.param(lambda tenant, member: Actor(), id="system"),
        pytest.param(
            lambda tenant, member: Actor(user=user_recipe.make(), role=Role.ADMIN),
            id="not-a-member",
        ),
        pytest.param(
            lambda tenant, member: Actor(user=member(Role.SUPERVISOR).user, role=Role.ADMIN),
            id="supervisor",
        ),
        pytest.param(
            lambda tenant, member: Actor(user=member(Role.ADMIN, is_active=False).user),
            id="inactive-admin",
        ),
        pytest.param(
            lambda tenant, member: Actor(
                api_key=api_key_recipe.make(tenant=tenant, role=Role.ADMIN), role=Role.ADMIN
            ),
            id="key-without-a-person",
        ),
    ],
)
def test_only_a_person_who_manages_keys_can_stand_behind_a_new_key(tenant, member, actor):
    actor = actor(tenant, member)
    count = ApiKey.objects.count()

    with pytest.raises(ApiKeyCreatorRequiredError):
        services.api_key_create(tenant=tenant, actor=actor, name="orphan", role=Role.VIEWER)

    assert ApiKey.objects.count() == count


def test_a_key_creates_keys_within_its_own_role(tenant, creator):
    _, parent = make_key(tenant, creator, role=Role.AGENT)

    with pytest.raises(ValidationError) as exc:
        services.api_key_create(
            tenant=tenant, actor=Actor(api_key=parent, role=Role.AGENT), name="up", role="admin"
        )

    assert exc.value.message_dict == {"role": ["A key you create can have at most the role agent."]}
    assert not ApiKey.objects.filter(name="up").exists()


@pytest.mark.parametrize("role", ["owner", "root", ""])
def test_the_service_refuses_a_role_keys_cannot_have(tenant, member, role):
    owner = member(Role.OWNER)

    with pytest.raises(ValidationError) as exc:
        services.api_key_create(
            tenant=tenant, actor=Actor(user=owner.user, role=owner.role), name="k", role=role
        )

    assert set(exc.value.message_dict) == {"role"}
    assert not ApiKey.objects.exists()


def test_a_key_without_a_person_authenticates_nothing(tenant):
    raw = "tdk_orphan000001_" + "x" * 43
    api_key_recipe.make(
        tenant=tenant,
        role=Role.ADMIN,
        prefix="orphan000001",
        key_hash=hashlib.sha256(raw.encode()).hexdigest(),
    )

    response = key_client(raw).get(f"/api/v1/t/{tenant.slug}/")

    assert response.status_code == 401


# --- A key acts with at most its creator's current role ---------------------------------------


def test_key_acts_with_the_lower_of_its_role_and_its_creators_current_role(creator, tenant):
    raw, _ = make_key(tenant, creator, role=Role.ADMIN)
    client = key_client(raw)
    assert client.get(keys_url(tenant)).status_code == 200
    # A role change that bypassed member_update (raw SQL, a restored backup): authentication
    # itself must cap the key, not only the revocation the service performs.
    Membership.objects.filter(pk=creator.pk).update(role=Role.SUPERVISOR)

    keys = client.get(keys_url(tenant))
    audit = client.get(f"/api/v1/t/{tenant.slug}/audit-log/")
    tenants = client.get("/api/v1/t/")

    assert (keys.status_code, audit.status_code) == (403, 200)
    assert [t["role"] for t in tenants.json()] == ["supervisor"]


def test_key_of_a_deactivated_creator_is_refused_until_they_are_reactivated(
    owner, owner_client, creator, tenant
):
    raw, api_key = make_key(tenant, creator, role=Role.VIEWER)
    client = key_client(raw)

    owner_client.patch(member_url(creator), {"is_active": False}, format="json")
    while_inactive = client.get(f"/api/v1/t/{tenant.slug}/")
    owner_client.patch(member_url(creator), {"is_active": True}, format="json")
    after = client.get(f"/api/v1/t/{tenant.slug}/")

    assert (while_inactive.status_code, after.status_code) == (401, 200)
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_key_authentication_reads_the_creators_role_in_the_same_query(creator, tenant):
    raw, _ = make_key(tenant, creator, role=Role.SUPERVISOR)
    client = key_client(raw)
    client.get(f"/api/v1/t/{tenant.slug}/")  # records last_used_at (an UPDATE) once

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/t/{tenant.slug}/")

    key_queries = [q["sql"] for q in ctx.captured_queries if '"tenants_apikey"' in q["sql"]]
    assert response.status_code == 200
    assert len(key_queries) == 1
    assert '"tenants_membership"' in key_queries[0]
    # The key (with tenant and creator role) + the tenant context; the savepoint around the
    # request and the restore of the outer context are test-only.
    assert len(ctx.captured_queries) == 5


# --- Access ends when its reason ends ---------------------------------------------------------


def test_demoting_the_creator_below_admin_revokes_every_key_they_stand_behind(
    owner, owner_client, creator, member, tenant
):
    raw, own = make_key(tenant, creator, role=Role.ADMIN, name="own")
    child_response = key_client(raw).post(
        keys_url(tenant), {"name": "child", "role": "viewer"}, format="json"
    )
    child_raw = child_response.json()["key"]
    child = ApiKey.objects.get(public_id=child_response.json()["id"])
    other_raw, other = make_key(tenant, member(Role.ADMIN), name="someone else's")

    response = owner_client.patch(member_url(creator), {"role": "supervisor"}, format="json")

    assert response.status_code == 200, response.content
    assert key_client(raw).get(f"/api/v1/t/{tenant.slug}/").status_code == 401
    assert key_client(child_raw).get(f"/api/v1/t/{tenant.slug}/").status_code == 401
    assert key_client(other_raw).get(f"/api/v1/t/{tenant.slug}/").status_code == 200
    assert sorted(revocations(tenant), key=lambda r: r["target_id"]) == sorted(
        [
            {
                "target_id": str(key.public_id),
                "actor_label": owner.user.email,
                "before": {"revoked": False},
                "after": {"revoked": True, "reason": "creator_demoted"},
            }
            for key in (own, child)
        ],
        key=lambda r: r["target_id"],
    )
    other.refresh_from_db()
    assert other.revoked_at is None


def test_demoting_an_owner_to_admin_keeps_their_keys(owner_client, member, tenant):
    second_owner = member(Role.OWNER)
    raw, _ = make_key(tenant, second_owner, role=Role.ADMIN)

    response = owner_client.patch(member_url(second_owner), {"role": "admin"}, format="json")

    assert response.status_code == 200, response.content
    assert key_client(raw).get(keys_url(tenant)).status_code == 200
    assert revocations(tenant) == []


def test_removing_the_creator_revokes_their_keys(owner, owner_client, creator, tenant):
    raw, api_key = make_key(tenant, creator, role=Role.AGENT)

    response = owner_client.delete(member_url(creator))

    assert response.status_code == 204, response.content
    assert key_client(raw).get(f"/api/v1/t/{tenant.slug}/").status_code == 401
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert revocations(tenant) == [
        {
            "target_id": str(api_key.public_id),
            "actor_label": owner.user.email,
            "before": {"revoked": False},
            "after": {"revoked": True, "reason": "creator_removed"},
        }
    ]


def test_a_creator_leaving_revokes_their_keys_and_only_theirs(api_client, creator, member, tenant):
    raw, _ = make_key(tenant, creator)
    other_raw, _ = make_key(tenant, member(Role.ADMIN))

    response = api_client(creator).delete(member_url(creator))

    assert response.status_code == 204, response.content
    assert key_client(raw).get(f"/api/v1/t/{tenant.slug}/").status_code == 401
    assert key_client(other_raw).get(f"/api/v1/t/{tenant.slug}/").status_code == 200
    assert [r["after"]["reason"] for r in revocations(tenant)] == ["creator_removed"]


def test_a_refused_demotion_revokes_nothing(api_client, creator, member, tenant):
    raw, _ = make_key(tenant, creator)
    owner = member(Role.OWNER)  # the tenant's last owner

    response = api_client(owner).patch(member_url(owner), {"role": "agent"}, format="json")

    assert response.status_code == 409
    assert key_client(raw).get(f"/api/v1/t/{tenant.slug}/").status_code == 200
    assert revocations(tenant) == []


# --- The key is shown once, even to an Idempotency-Key replay ---------------------------------


def idempotency_rows_text(tenant) -> str:
    """Every stored column of every idempotency record of the tenant, as PostgreSQL has it."""
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT r::text FROM tenants_idempotencyrecord r")
        return "\n".join(row for (row,) in cursor.fetchall())


def test_idempotency_record_of_a_key_create_never_holds_the_key(owner_client, tenant):
    response = owner_client.post(
        keys_url(tenant), {"name": "CI", "role": "agent"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert response.status_code == 201, response.content
    raw = response.json()["key"]
    secret = raw.split("_", 2)[2]  # tdk_<prefix>_<secret>; the secret itself may hold "_"
    stored = idempotency_rows_text(tenant)
    assert '"tdk_' not in stored and secret not in stored
    with tenant_context(tenant):
        record = IdempotencyRecord.objects.get()
    assert record.response_body["key"] is None
    assert record.response_body["id"] == response.json()["id"]
    assert record.response_headers == {"Idempotent-Redacted": "key"}


def test_replayed_key_create_says_the_key_was_shown_once(owner_client, tenant):
    body = {"name": "CI", "role": "agent"}
    first = owner_client.post(keys_url(tenant), body, format="json", HTTP_IDEMPOTENCY_KEY="k2")

    replay = owner_client.post(keys_url(tenant), body, format="json", HTTP_IDEMPOTENCY_KEY="k2")

    assert (first.status_code, replay.status_code) == (201, 201)
    assert first.json()["key"].startswith("tdk_")
    assert "Idempotent-Redacted" not in first
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["Idempotent-Redacted"] == "key"
    assert replay.json() == {**first.json(), "key": None}
    assert ApiKey.objects.filter(tenant=tenant).count() == 1


def test_a_failed_key_create_stores_nothing(owner_client, tenant):
    response = owner_client.post(
        keys_url(tenant), {"name": "CI", "role": "owner"}, format="json", HTTP_IDEMPOTENCY_KEY="k3"
    )

    assert "role" in field_errors(response)
    assert idempotency_rows_text(tenant) == ""


@pytest.mark.parametrize(
    ("body", "fields", "expected", "named"),
    [
        pytest.param({"key": "s", "id": 1}, ("key",), {"key": None, "id": 1}, ["key"], id="one"),
        pytest.param(
            {"secret": "s", "key": None}, ("secret", "key"), {"secret": None, "key": None},
            ["secret"], id="only-what-held-a-value",
        ),
        pytest.param({"id": 1}, ("key",), {"id": 1}, [], id="absent"),
        pytest.param({"key": "s"}, (), {"key": "s"}, [], id="nothing-declared"),
        pytest.param(["key"], ("key",), ["key"], [], id="not-an-object"),
    ],
)  # fmt: skip
def test_redact_nulls_the_declared_fields(body, fields, expected, named):
    redacted, names = idempotency.redact(body, fields)

    assert (redacted, names) == (expected, named)
    assert json.dumps(body)  # the response itself is left untouched
