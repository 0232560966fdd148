"""GDPR export of a customer (DESIGN.md §4): everything held about them, nothing of anyone
else, audited without personal data, a query count that does not grow with the data."""

import pytest

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tenants.helpers import audit_log_rows
from tests.tickets.gdpr_helpers import ALICE_PII, _erase, _url
from tickets import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_memory_storage")]


# --- Export ---------------------------------------------------------------------------------------


def test_export_returns_everything_held_about_the_customer(world, tenant, admin_client):
    w = world
    detail = {
        number: admin_client.get(f"/api/v1/t/{tenant.slug}/tickets/{number}/").json()
        for number in (w.first.number, w.second.number)
    }
    profile = admin_client.get(f"/api/v1/t/{tenant.slug}/customers/{w.alice.public_id}/").json()

    response = admin_client.get(_url(tenant, w.alice.public_id, "export"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"exported_at", "customer", "tickets", "comments", "attachments"}
    assert body["customer"] == {**profile, "erased_at": None}
    assert body["customer"]["email"] == "alice@example.test"
    assert body["tickets"] == [detail[w.first.number], detail[w.second.number]]
    assert [
        (c["id"], c["ticket"], c["author_type"], c["public"], c["body"]) for c in body["comments"]
    ] == [
        (str(w.alice_comment.public_id), w.first.number, "customer", True, "Alice writes: my card"),
        (str(w.reply.public_id), w.first.number, "agent", True, "Team reply"),
        (
            str(w.alice_on_bob.public_id),
            w.bob_ticket.number,
            "customer",
            True,
            "Alice writes on Bob's ticket",
        ),
    ]
    assert [{k: v for k, v in a.items() if k != "created_at"} for a in body["attachments"]] == [
        {
            "id": str(w.customer_file.public_id),
            "ticket": w.first.number,
            "comment": str(w.alice_comment.public_id),
            "uploaded_by_type": "customer",
            "filename": "alice-passport.pdf",
            "content_type": "application/pdf",
            "size": 7,
            "sha256": "0" * 64,
        },
        {
            "id": str(w.team_file.public_id),
            "ticket": w.first.number,
            "comment": str(w.reply.public_id),
            "uploaded_by_type": "agent",
            "filename": "invoice.pdf",
            "content_type": "application/pdf",
            "size": 5,
            "sha256": "0" * 64,
        },
    ]


def test_export_holds_nothing_of_another_customer_or_tenant(world, tenant, admin_client):
    response = admin_client.get(_url(tenant, world.alice.public_id, "export"))

    text = response.content.decode()
    assert response.status_code == 200
    for foreign in (
        "bob@example.test",
        "Bob chimes in",
        "Bob subject",
        "Reply to Bob",
        "bob.txt",
        "Internal note",
        "note.txt",
        "Bravo",
        "crm-bravo",
        str(world.namesake.public_id),
        "storage_key",
        "tenants/a/attachments",
    ):
        assert foreign not in text, foreign


def test_export_writes_an_audit_entry_without_personal_data(world, tenant, member, api_client):
    admin = member(Role.ADMIN)

    api_client(admin).get(_url(tenant, world.alice.public_id, "export"))

    rows = audit_log_rows(
        tenant,
        "customer.exported",
        fields=("actor_user", "target_type", "target_id", "target_label", "after"),
    )
    assert rows == [
        {
            "actor_user": admin.user.pk,
            "target_type": "customer",
            "target_id": str(world.alice.public_id),
            "target_label": "",
            "after": {"tickets": 2, "comments": 3, "attachments": 2},
        }
    ]


def test_export_of_an_erased_customer_holds_no_personal_data(world, tenant, admin_client):
    _erase(admin_client, tenant, world.alice)

    response = admin_client.get(_url(tenant, world.alice.public_id, "export"))

    assert response.status_code == 200
    assert response.json()["customer"]["erased"] is True
    text = response.content.decode()
    for pii in ALICE_PII:
        assert pii not in text, pii


def test_export_query_count_does_not_grow_with_the_data(
    world, tenant, member, django_assert_max_num_queries
):
    admin = Actor(user=member(Role.ADMIN).user, role=Role.ADMIN)
    with tenant_context(tenant):
        lonely = services.customer_create(tenant=tenant, actor=admin, email="lonely@example.test")

        # Three reads (tickets, comments, attachments), the audit insert and the service's
        # savepoint pair, whether the customer has nothing or tickets, comments and files.
        with django_assert_max_num_queries(6):
            empty = services.customer_export(tenant=tenant, actor=admin, customer=lonely)
        with django_assert_max_num_queries(6):
            full = services.customer_export(tenant=tenant, actor=admin, customer=world.alice)

    assert (len(empty.tickets), len(full.tickets)) == (0, 2)
