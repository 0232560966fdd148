"""The CRM sync log through the API: crm-connections/<id>/syncs/ and crm-syncs/<id>/redeliver/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import CrmConnection, CrmSync
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Role
from tests.errors import field_errors
from tests.integrations.recipes import crm_connection_recipe, crm_sync_recipe
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
NEW_TOKEN = "00Dxx0000001gPL!AQ4AQFhk.new"
SALESFORCE = "https://acme.my.salesforce.com"


@pytest.fixture
def admin(member, api_client):
    return api_client(member(Role.ADMIN))


def _url(tenant, rest=""):
    return f"/api/v1/t/{tenant.slug}/{rest}"


def _create(client, tenant, **overrides):
    body = {"provider": "hubspot", "credentials": {"access_token": TOKEN}, **overrides}
    return client.post(_url(tenant, "crm-connections/"), body, format="json")


def _connection(tenant) -> CrmConnection:
    with tenant_context(tenant):
        return CrmConnection.objects.get()


def _count(tenant, model) -> int:
    with tenant_context(tenant):
        return model.objects.count()


def _audit(tenant, action=None):
    with tenant_context(tenant):
        entries = AuditLogEntry.objects.filter(target_type__startswith="crm")
        if action:
            entries = entries.filter(action=action)
        return list(entries.order_by("id").values("action", "target_label", "before", "after"))


# --- Sync log ---------------------------------------------------------------------------------


def _syncs(tenant, connection, count, **fields):
    with tenant_context(tenant):
        return [
            crm_sync_recipe.make(
                tenant=tenant,
                connection=connection,
                created_at=timezone.now() - timedelta(minutes=count - index),
                **fields,
            )
            for index in range(count)
        ]


def test_sync_log_newest_first_with_this_connections_rows_only(tenant, other_tenant, admin):
    created = _create(admin, tenant).json()
    older, newer = _syncs(tenant, _connection(tenant), 2, status="dead", attempts=8)
    with tenant_context(other_tenant):
        theirs = crm_sync_recipe.make(tenant=other_tenant)

    response = admin.get(_url(tenant, f"crm-connections/{created['id']}/syncs/"))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [str(newer.public_id), str(older.public_id)]
    assert str(theirs.public_id) not in response.content.decode()
    assert rows[0] == {
        "id": str(newer.public_id),
        "event_type": "customer.created",
        "action": "upsert",
        "customer": str(newer.customer_public_id),
        "crm_id": "",
        "status": "dead",
        "attempts": 8,
        "last_error": "",
        "last_status_code": None,
        "next_attempt_at": rows[0]["next_attempt_at"],
        "finished_at": None,
        "created_at": newer.created_at.isoformat().replace("+00:00", "Z"),
    }


def test_a_customer_change_shows_in_the_sync_log(tenant, admin):
    created = _create(admin, tenant).json()
    with tenant_context(tenant):
        customer = ticket_services.customer_create(
            tenant=tenant, actor=Actor(), email="ann@example.test", name="Ann"
        )

    rows = admin.get(_url(tenant, f"crm-connections/{created['id']}/syncs/")).json()["results"]

    assert [(r["event_type"], r["action"], r["customer"]) for r in rows] == [
        ("customer.created", "upsert", str(customer.public_id))
    ]


def test_sync_log_filters(tenant, admin):
    created = _create(admin, tenant).json()
    connection = _connection(tenant)
    [dead] = _syncs(tenant, connection, 1, status="dead")
    [sent] = _syncs(tenant, connection, 1, status="sent", action="delete", crm_id="901")
    url = _url(tenant, f"crm-connections/{created['id']}/syncs/")

    def ids(**query):
        response = admin.get(url, query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(status="dead") == [str(dead.public_id)]
    assert ids(action="delete") == [str(sent.public_id)]
    assert ids(customer=str(dead.customer_public_id)) == [str(dead.public_id)]
    assert ids(created_after=sent.created_at.isoformat()) == [str(sent.public_id)]
    assert ids(created_before=sent.created_at.isoformat()) == [str(dead.public_id)]
    assert set(field_errors(admin.get(url, {"status": "lost"}))) == {"status"}
    assert set(field_errors(admin.get(url, {"action": "merge"}))) == {"action"}
    assert set(field_errors(admin.get(url, {"customer": "nobody"}))) == {"customer"}


@pytest.mark.parametrize("count", [1, 6])
def test_sync_log_costs_the_same_for_one_or_many(tenant, admin, count, django_assert_num_queries):
    created = _create(admin, tenant).json()
    _syncs(tenant, _connection(tenant), count)
    url = _url(tenant, f"crm-connections/{created['id']}/syncs/")
    admin.get(url)  # warm: the token's first use writes its last-used time

    with django_assert_num_queries(QUERIES_PER_SYNC_PAGE):
        response = admin.get(url)

    assert len(response.json()["results"]) == count


# Request plumbing (savepoints, auth, membership entering the tenant context) plus
# connection, syncs.
QUERIES_PER_SYNC_PAGE = 7


@pytest.mark.parametrize("finished", ["sent", "failed", "dead", "suppressed"])
def test_redeliver_puts_a_finished_sync_back_in_line_and_is_audited(
    tenant, admin, finished, django_capture_on_commit_callbacks
):
    _create(admin, tenant)
    [sync] = _syncs(tenant, _connection(tenant), 1, status=finished, attempts=3)

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin.post(_url(tenant, f"crm-syncs/{sync.public_id}/redeliver/"))

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["id"], body["status"], body["attempts"], body["finished_at"]) == (
        str(sync.public_id),
        "pending",
        0,
        None,
    )
    assert len(callbacks) == 1
    assert _audit(tenant, "crm_sync.redelivered") == [
        {
            "action": "crm_sync.redelivered",
            "target_label": f"upsert {sync.customer_public_id}",
            "before": {"status": finished},
            "after": {"status": "pending"},
        }
    ]


@pytest.mark.parametrize("unfinished", ["pending", "sending"])
def test_redeliver_of_an_unfinished_sync_is_409(tenant, admin, unfinished):
    _create(admin, tenant)
    [sync] = _syncs(tenant, _connection(tenant), 1, status=unfinished, attempts=1)

    response = admin.post(_url(tenant, f"crm-syncs/{sync.public_id}/redeliver/"))

    assert response.status_code == 409
    assert response.json()["code"] == "crm_sync_not_finished"
    assert _audit(tenant, "crm_sync.redelivered") == []
    with tenant_context(tenant):
        assert CrmSync.objects.get(pk=sync.pk).attempts == 1


def test_redeliver_takes_no_input(tenant, admin):
    _create(admin, tenant)
    [sync] = _syncs(tenant, _connection(tenant), 1, status="dead")

    response = admin.post(
        _url(tenant, f"crm-syncs/{sync.public_id}/redeliver/"), {"force": True}, format="json"
    )

    assert field_errors(response) == {"force": ["Unknown field."]}


def test_another_tenants_connection_and_syncs_are_404_from_here(tenant, other_tenant, admin):
    with tenant_context(other_tenant):
        theirs = crm_connection_recipe.make(tenant=other_tenant)
        sync = crm_sync_recipe.make(tenant=other_tenant, connection=theirs, status="dead")

    answers = [
        admin.get(_url(tenant, f"crm-connections/{theirs.public_id}/")).status_code,
        admin.get(_url(tenant, f"crm-connections/{theirs.public_id}/syncs/")).status_code,
        admin.post(_url(tenant, f"crm-syncs/{sync.public_id}/redeliver/")).status_code,
    ]

    assert answers == [404, 404, 404]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.VIEWER])
def test_below_admin_is_403_and_creates_nothing(tenant, member, api_client, role):
    response = _create(api_client(member(role)), tenant)

    assert response.status_code == 403
    assert _count(tenant, CrmConnection) == 0
