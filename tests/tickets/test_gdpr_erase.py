"""GDPR erase of a customer (DESIGN.md §5): anonymized, ticket statistics kept, history and
attachments scrubbed, audited, idempotent, and the erased customer stays erased."""

import json
import threading

import pytest
from django.core.files.storage import default_storage
from django.db import connection, transaction

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.errors import field_errors
from tests.events import published as capture
from tests.tenants.helpers import audit_log_rows
from tests.tickets.gdpr_helpers import ALICE_PII, _erase, _snapshot, _url
from tickets import services
from tickets.models import Attachment, Comment, Customer, Ticket, TicketEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_memory_storage")]


@pytest.fixture
def published():
    """Every customer.erased event published during the test (their envelopes)."""
    with capture("customer.erased") as seen:
        yield seen


def _tickets_snapshot(tenant) -> list[tuple]:
    with tenant_context(tenant):
        return sorted(
            Ticket.objects.values_list(
                "number",
                "status",
                "priority",
                "channel",
                "category",
                "tags",
                "assignee_id",
                "escalated",
                "first_response_at",
                "resolved_at",
                "closed_at",
                "created_at",
                "requester_id",
            )
        )


# --- Erase ----------------------------------------------------------------------------------------


def test_erase_anonymizes_the_customer(world, tenant, admin_client):
    alice = world.alice

    response = _erase(admin_client, tenant, alice)

    assert response.status_code == 200, response.content
    body = response.json()
    assert response["ETag"] == '"2"'
    assert {k: body[k] for k in body if k not in ("created_at", "updated_at", "erased_at")} == {
        "id": str(alice.public_id),
        "email": f"erased-{alice.public_id}@erased.invalid",
        "name": "",
        "tier": "premium",
        "company": "",
        "phone": "",
        "crm_id": "",
        "metadata": {},
        "erased": True,
        "version": 2,
    }
    with tenant_context(tenant):
        stored = Customer.objects.get(pk=alice.pk)
    assert stored.erased_at is not None
    assert stored.email == f"erased-{alice.public_id}@erased.invalid"
    assert (stored.tier, stored.created_at) == ("premium", alice.created_at)


def test_erase_replaces_only_the_customers_comments(world, tenant, admin_client):
    _erase(admin_client, tenant, world.alice)

    with tenant_context(tenant):
        bodies = dict(Comment.objects.values_list("public_id", "body"))
    assert bodies[world.alice_comment.public_id] == "[erased]"
    assert bodies[world.alice_on_bob.public_id] == "[erased]"
    assert bodies[world.reply.public_id] == "Team reply"
    assert bodies[world.note.public_id] == "Internal note"
    assert bodies[world.bob_on_alice.public_id] == "Bob chimes in"


def test_erase_keeps_ticket_statistics_and_erases_their_text(world, tenant, admin_client):
    statistics = _tickets_snapshot(tenant)
    with tenant_context(tenant):
        versions = dict(Ticket.objects.values_list("number", "version"))

    _erase(admin_client, tenant, world.alice)

    assert _tickets_snapshot(tenant) == statistics
    with tenant_context(tenant):
        tickets = {
            t.number: (t.subject, t.description, t.metadata, t.version)
            for t in Ticket.objects.all()
        }
    first, second = world.first.number, world.second.number
    assert tickets[first] == ("[erased]", "[erased]", {}, versions[first] + 1)
    assert tickets[second] == ("[erased]", "", {}, versions[second] + 1)
    bob = world.bob_ticket.number
    assert tickets[bob] == ("Bob subject", "Bob text", {}, versions[bob])


def test_erase_scrubs_the_ticket_history_and_records_itself(world, tenant, member, api_client):
    admin = member(Role.ADMIN)
    with tenant_context(tenant):
        bob_before = list(TicketEvent.objects.filter(ticket=world.bob_ticket).values())

    _erase(api_client(admin), tenant, world.alice)

    with tenant_context(tenant):
        history = list(
            TicketEvent.objects.filter(ticket=world.first).values_list(
                "field", "old_value", "new_value", "actor_label"
            )
        )
        bob_history = list(TicketEvent.objects.filter(ticket=world.bob_ticket).values())
    agent = world.agent.user.email
    assert ("subject", "[erased]", "[erased]", agent) in history
    assert ("status", "open", "in_progress", agent) in history
    assert ("personal_data", None, "erased", admin.user.email) in history
    assert not any("Alice" in json.dumps(row) for row in history)
    assert bob_history == bob_before


def test_erase_anonymizes_customer_side_attachments_and_deletes_their_bytes_on_commit(
    world, tenant, admin_client, django_capture_on_commit_callbacks
):
    old_key = world.customer_file.storage_key

    with django_capture_on_commit_callbacks(execute=True):
        _erase(admin_client, tenant, world.alice)

    with tenant_context(tenant):
        erased = Attachment.objects.get(pk=world.customer_file.pk)
        team = Attachment.objects.get(pk=world.team_file.pk)
        bob = Attachment.objects.get(pk=world.bob_file.pk)
    assert (erased.filename, erased.sha256) == ("[erased]", "")
    assert erased.storage_key == f"tenants/{tenant.pk}/erased/{erased.public_id}"
    assert (erased.size, erased.content_type) == (7, "application/pdf")
    assert not default_storage.exists(old_key)
    assert (team.filename, team.storage_key) == ("invoice.pdf", world.team_file.storage_key)
    assert default_storage.exists(team.storage_key)
    assert (bob.filename, bob.storage_key) == ("bob.txt", world.bob_file.storage_key)
    assert default_storage.exists(bob.storage_key)


def test_rolled_back_erase_keeps_data_and_bytes(
    world, tenant, member, django_capture_on_commit_callbacks
):
    before = _snapshot(tenant)
    admin = Actor(user=member(Role.ADMIN).user, role=Role.ADMIN)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic(), tenant_context(tenant):
            services.customer_erase(tenant=tenant, actor=admin, customer=world.alice)
            raise RuntimeError("abort")

    assert callbacks == []
    assert _snapshot(tenant) == before
    assert default_storage.exists(world.customer_file.storage_key)


def test_erase_writes_an_audit_entry_and_publishes_the_event(
    world, tenant, member, api_client, published
):
    admin = member(Role.ADMIN)

    _erase(api_client(admin), tenant, world.alice)

    rows = audit_log_rows(
        tenant,
        "customer.erased",
        fields=("actor_user", "target_type", "target_id", "target_label", "before", "after"),
    )
    assert rows == [
        {
            "actor_user": admin.user.pk,
            "target_type": "customer",
            "target_id": str(world.alice.public_id),
            "target_label": "",
            "before": None,
            "after": {"tickets": 2, "comments": 2, "attachments": 1},
        }
    ]
    assert [(e.tenant_id, e.actor, e.visibility, e.data) for e in published] == [
        (
            tenant.pk,
            {"type": "member", "id": str(admin.user.public_id)},
            "public",
            {
                "id": str(world.alice.public_id),
                "crm_id": "crm-alice-1",
                "tickets": [world.first.number, world.second.number],
            },
        )
    ]


def test_second_erase_returns_the_same_result_and_records_nothing(
    world, tenant, admin_client, published
):
    first = _erase(admin_client, tenant, world.alice)
    state = _snapshot(tenant)

    second = _erase(admin_client, tenant, world.alice)

    assert second.status_code == 200
    assert second.json() == first.json()
    assert second["ETag"] == first["ETag"]
    assert _snapshot(tenant) == state
    assert len(audit_log_rows(tenant, "customer.erased", fields=("target_id",))) == 1
    assert len(published) == 1


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_concurrent_erases_record_exactly_one_erasure(world, tenant, member, published):
    admin = Actor(user=member(Role.ADMIN).user, role=Role.ADMIN)
    barrier = threading.Barrier(2)
    versions: list = []

    def erase():
        try:
            barrier.wait()
            with tenant_context(tenant):
                versions.append(
                    services.customer_erase(
                        tenant=tenant, actor=admin, customer=world.alice
                    ).version
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=erase) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert versions == [2, 2]
    assert len(audit_log_rows(tenant, "customer.erased", fields=("target_id",))) == 1
    assert len(published) == 1
    with tenant_context(tenant):
        assert TicketEvent.objects.filter(field="personal_data").count() == 2  # one per ticket


def test_erase_replays_under_the_same_idempotency_key(world, tenant, admin_client):
    url = _url(tenant, world.alice.public_id, "erase")

    first = admin_client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="erase-alice-1")
    replay = admin_client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="erase-alice-1")

    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert len(audit_log_rows(tenant, "customer.erased", fields=("target_id",))) == 1


def test_erase_leaves_no_personal_data_of_the_customer(world, tenant, admin_client):
    _erase(admin_client, tenant, world.alice)

    text = json.dumps(_snapshot(tenant), default=str)
    for pii in ALICE_PII:
        assert pii not in text, pii


def test_erase_leaves_the_namesake_in_another_tenant_alone(
    world, tenant, other_tenant, admin_client
):
    before = _snapshot(other_tenant)

    _erase(admin_client, tenant, world.alice)

    assert _snapshot(other_tenant) == before


def test_erase_with_an_unknown_field_is_400_and_changes_nothing(world, tenant, admin_client):
    before = _snapshot(tenant)

    response = _erase(admin_client, tenant, world.alice, {"confirm": True})

    assert response.status_code == 400
    assert field_errors(response) == {"confirm": ["Unknown field."]}
    assert _snapshot(tenant) == before


# --- The erased customer stays erased -------------------------------------------------------------


def test_erased_customer_cannot_be_updated(world, tenant, admin_client):
    _erase(admin_client, tenant, world.alice)
    before = _snapshot(tenant)

    response = admin_client.patch(
        f"/api/v1/t/{tenant.slug}/customers/{world.alice.public_id}/",
        {"name": "Alice again"},
        format="json",
    )

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "customer_erased"
    assert _snapshot(tenant) == before


def test_customer_not_erased_passes_the_erased_check(world):
    assert services.customer_ensure_not_erased(customer=world.alice) is None


def test_erased_customer_fails_the_erased_check(world, tenant, member):
    admin = Actor(user=member(Role.ADMIN).user, role=Role.ADMIN)
    with tenant_context(tenant):
        erased = services.customer_erase(tenant=tenant, actor=admin, customer=world.alice)

    with pytest.raises(services.CustomerErasedError) as excinfo:
        services.customer_ensure_not_erased(customer=erased)

    assert (excinfo.value.status_code, excinfo.value.code) == (409, "customer_erased")
