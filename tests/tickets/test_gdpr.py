"""GDPR export and erase of a customer (DESIGN.md §4-5): admin+ only, audited, exact, scoped,
and erase is irreversible, idempotent and keeps ticket statistics."""

import json
import threading
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.errors import field_errors
from tests.events import published as capture
from tests.tenants.helpers import audit_log_rows
from tests.tickets.recipes import attachment_recipe
from tickets import services
from tickets.models import Attachment, Comment, Customer, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found.", "code": "not_found"}
ALICE_PII = (
    "alice@example.test",
    "Alice Liddell",
    "Wonderland Ltd",
    "+44 20 7946 0000",
    "crm-alice-1",
    "alice-secret-meta",
    "Alice subject",
    "Alice description",
    "Alice writes",
    "alice-passport.pdf",
)


@pytest.fixture(autouse=True)
def _memory_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.fixture
def published():
    """Every customer.erased event published during the test (their envelopes)."""
    with capture("customer.erased") as seen:
        yield seen


def _stored(key: str, content: bytes) -> str:
    return default_storage.save(key, ContentFile(content))


@pytest.fixture
def world(tenant, other_tenant, member):
    """Alice (the subject) with two tickets, a conversation and attachments; Bob, another
    customer of the same tenant; and an Alice namesake in another tenant."""
    agent = member(Role.AGENT)
    team = Actor(user=agent.user, role=Role.AGENT)
    with tenant_context(tenant):
        alice = services.customer_create(
            tenant=tenant,
            actor=team,
            email="alice@example.test",
            name="Alice Liddell",
            tier="premium",
            company="Wonderland Ltd",
            phone="+44 20 7946 0000",
            crm_id="crm-alice-1",
            metadata={"note": "alice-secret-meta"},
        )
        bob = services.customer_create(
            tenant=tenant, actor=team, email="bob@example.test", name="Bob Builder"
        )
        first = services.ticket_create(
            tenant=tenant,
            actor=team,
            subject="Alice subject first",
            description="Alice description: lives at 1 Rabbit Hole",
            requester=alice,
            priority="high",
            channel="email",
            tags=["billing"],
            metadata={"order": "alice-secret-meta"},
        )
        first = services.ticket_update(
            tenant=tenant,
            actor=team,
            ticket=first,
            subject="Alice subject renamed",
            status="in_progress",
            assignee=agent.user,
        )
        alice_comment = services.comment_create(
            tenant=tenant,
            actor=team,
            ticket=first,
            body="Alice writes: my card",
            author_customer=alice,
        )
        reply = services.comment_create(tenant=tenant, actor=team, ticket=first, body="Team reply")
        note = services.comment_create(
            tenant=tenant, actor=team, ticket=first, body="Internal note", public=False
        )
        bob_on_alice = services.comment_create(
            tenant=tenant, actor=team, ticket=first, body="Bob chimes in", author_customer=bob
        )
        second = services.ticket_create(
            tenant=tenant, actor=team, subject="Alice subject second", requester=alice
        )
        second = services.ticket_update(tenant=tenant, actor=team, ticket=second, status="resolved")
        bob_ticket = services.ticket_create(
            tenant=tenant, actor=team, subject="Bob subject", description="Bob text", requester=bob
        )
        alice_on_bob = services.comment_create(
            tenant=tenant,
            actor=team,
            ticket=bob_ticket,
            body="Alice writes on Bob's ticket",
            author_customer=alice,
        )
        services.comment_create(tenant=tenant, actor=team, ticket=bob_ticket, body="Reply to Bob")
        customer_file = attachment_recipe.make(
            tenant=tenant,
            ticket=first,
            comment=alice_comment,
            filename="alice-passport.pdf",
            from_customer=True,
            content_type="application/pdf",
            size=7,
            storage_key=_stored("tenants/a/attachments/1/alice-passport.pdf", b"passport"),
        )
        team_file = attachment_recipe.make(
            tenant=tenant,
            ticket=first,
            comment=reply,
            uploaded_by=agent.user,
            filename="invoice.pdf",
            content_type="application/pdf",
            size=5,
            storage_key=_stored("tenants/a/attachments/2/invoice.pdf", b"invoice"),
        )
        attachment_recipe.make(
            tenant=tenant, ticket=first, comment=note, uploaded_by=agent.user, filename="note.txt"
        )
        bob_file = attachment_recipe.make(
            tenant=tenant,
            ticket=bob_ticket,
            filename="bob.txt",
            from_customer=True,
            storage_key=_stored("tenants/a/attachments/3/bob.txt", b"bob"),
        )
    with tenant_context(other_tenant):
        namesake = services.customer_create(
            tenant=other_tenant,
            actor=Actor(),
            email="alice@example.test",
            name="Bravo Alice",
            crm_id="crm-bravo",
        )
        namesake_ticket = services.ticket_create(
            tenant=other_tenant, actor=Actor(), subject="Bravo subject", requester=namesake
        )
        services.comment_create(
            tenant=other_tenant,
            actor=Actor(),
            ticket=namesake_ticket,
            body="Bravo Alice writes",
            author_customer=namesake,
        )
    return SimpleNamespace(
        agent=agent,
        alice=alice,
        bob=bob,
        first=first,
        second=second,
        bob_ticket=bob_ticket,
        alice_comment=alice_comment,
        reply=reply,
        note=note,
        bob_on_alice=bob_on_alice,
        alice_on_bob=alice_on_bob,
        customer_file=customer_file,
        team_file=team_file,
        bob_file=bob_file,
        namesake=namesake,
    )


def _url(tenant, customer_id, op: str) -> str:
    return f"/api/v1/t/{tenant.slug}/customers/{customer_id}/{op}/"


@pytest.fixture
def admin_client(member, api_client):
    return api_client(member(Role.ADMIN))


def _erase(client, tenant, customer, body=None):
    return client.post(_url(tenant, customer.public_id, "erase"), body or {}, format="json")


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


def _snapshot(tenant) -> dict:
    with tenant_context(tenant):
        return {
            "customers": sorted(
                Customer.objects.values_list(
                    "email", "name", "company", "phone", "crm_id", "metadata", "version"
                )
            ),
            "tickets": sorted(
                Ticket.objects.values_list("number", "subject", "description", "version")
            ),
            "comments": sorted(Comment.objects.values_list("body", flat=True)),
            "attachments": sorted(Attachment.objects.values_list("filename", "storage_key")),
            "events": TicketEvent.objects.count(),
        }


# --- Export -----------------------------------------------------------------------------------


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


# --- Erase ------------------------------------------------------------------------------------


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


# --- The erased customer stays erased ---------------------------------------------------------


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


# --- Who may, and whose customers -------------------------------------------------------------

OPS = [pytest.param("export", "get", id="export"), pytest.param("erase", "post", id="erase")]


@pytest.mark.parametrize(("op", "method"), OPS)
@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owner_and_admin_may_export_and_erase(world, tenant, member, api_client, role, op, method):
    client = api_client(member(role))

    response = getattr(client, method)(_url(tenant, world.alice.public_id, op), format="json")

    assert response.status_code == 200


@pytest.mark.parametrize(("op", "method"), OPS)
@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.VIEWER])
def test_roles_below_admin_are_refused_and_change_nothing(
    world, tenant, member, api_client, role, op, method
):
    client = api_client(member(role))
    before = _snapshot(tenant)

    response = getattr(client, method)(_url(tenant, world.alice.public_id, op), format="json")

    assert response.status_code == 403
    assert _snapshot(tenant) == before
    assert audit_log_rows(tenant, f"customer.{op}d", fields=("target_id",)) == []


@pytest.mark.parametrize(("op", "method"), OPS)
@pytest.mark.parametrize(("key_role", "expected"), [(Role.ADMIN, 200), (Role.SUPERVISOR, 403)])
def test_api_keys_follow_their_role(world, tenant, api_key_client, key_role, expected, op, method):
    client, _ = api_key_client(tenant, key_role)

    response = getattr(client, method)(_url(tenant, world.alice.public_id, op), format="json")

    assert response.status_code == expected


@pytest.mark.parametrize(("op", "method"), OPS)
def test_other_tenants_customer_is_404_and_untouched(
    world, tenant, other_tenant, admin_client, op, method
):
    before = _snapshot(other_tenant)

    response = getattr(admin_client, method)(
        _url(tenant, world.namesake.public_id, op), format="json"
    )

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert _snapshot(other_tenant) == before
    assert audit_log_rows(other_tenant, f"customer.{op}d", fields=("target_id",)) == []
    assert audit_log_rows(tenant, f"customer.{op}d", fields=("target_id",)) == []


@pytest.mark.parametrize(("op", "method"), OPS)
@pytest.mark.parametrize(
    "customer_id",
    [
        pytest.param("00000000-0000-0000-0000-000000000000", id="unknown"),
        pytest.param("-" * 36, id="malformed"),
    ],
)
def test_unknown_or_malformed_customer_id_is_the_same_404(
    world, tenant, admin_client, customer_id, op, method
):
    response = getattr(admin_client, method)(_url(tenant, customer_id, op), format="json")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(("op", "method"), OPS)
def test_anonymous_is_401_and_a_non_member_404(
    world, tenant, other_tenant, member, api_client, anon_client, op, method
):
    outsider = api_client(member(Role.OWNER, tenant=other_tenant))
    url = _url(tenant, world.alice.public_id, op)
    before = _snapshot(tenant)

    anonymous = getattr(anon_client, method)(url, format="json")
    foreign = getattr(outsider, method)(url, format="json")

    assert (anonymous.status_code, foreign.status_code) == (401, 404)
    assert foreign.json() == NOT_FOUND
    assert _snapshot(tenant) == before
