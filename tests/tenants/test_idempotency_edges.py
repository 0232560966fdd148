"""Idempotency behaviours mutation testing found untested: what makes two requests the same,
the stored upload, the default lifetime, and what the in-flight lock is keyed by."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.idempotency import _lock_id
from tenants.models import IdempotencyRecord, Role
from tests.concurrency import held, in_background, wait_until
from tests.tenants.recipes import idempotency_record_recipe
from tickets import services as ticket_services
from tickets.models import Attachment, Ticket
from tickets.storage import attachment_storage


@pytest.fixture
def agent(member):
    return member(Role.AGENT)


@pytest.fixture
def ticket(tenant, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with tenant_context(tenant):
        return ticket_services.ticket_create(
            tenant=tenant, actor=Actor(), subject="Files", customer_email="f@example.test"
        )


def _multipart(boundary: str, fields: dict[str, str], content: bytes) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="log.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def _upload(client, tenant, ticket, boundary, *, fields=None, content=b"line one\n", key="up-1"):
    return client.generic(
        "POST",
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/attachments/",
        _multipart(boundary, fields or {}, content),
        f"multipart/form-data; boundary={boundary}",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_multipart_retry_with_another_boundary_replays(api_client, agent, tenant, ticket):
    client = api_client(agent)

    first = _upload(client, tenant, ticket, "first-boundary-1234")
    retry = _upload(client, tenant, ticket, "another-boundary-5678")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    with tenant_context(tenant):
        assert Attachment.objects.count() == 1


def test_a_multipart_retry_with_a_changed_form_field_is_422(api_client, agent, tenant, ticket):
    client = api_client(agent)
    with tenant_context(tenant):
        comment = ticket_services.comment_create(
            tenant=tenant, actor=Actor(), ticket=ticket, body="see attached"
        )

    first = _upload(client, tenant, ticket, "b-1", fields={"comment": str(comment.public_id)})
    changed = _upload(client, tenant, ticket, "b-1", fields={})

    assert first.status_code == 201
    assert changed.status_code == 422
    assert changed.json()["code"] == "idempotency_key_reused"


def test_the_stored_upload_holds_exactly_the_bytes_sent(api_client, agent, tenant, ticket):
    content = b"first line\n" + bytes(range(32, 127)) * 100 + b"\nlast line\n"

    response = _upload(api_client(agent), tenant, ticket, "bytes-b", content=content)
    with tenant_context(tenant):
        key = Attachment.objects.get().storage_key
    with attachment_storage().open(key, "rb") as stored:
        stored_bytes = stored.read()

    assert response.status_code == 201
    assert stored_bytes == content  # reading it for the fingerprint rewound the file


def test_records_live_24_hours_by_default(api_client, agent, tenant, settings):
    assert not hasattr(settings, "IDEMPOTENCY_TTL_HOURS")  # the default is what is tested

    response = api_client(agent).post(
        f"/api/v1/t/{tenant.slug}/customers/",
        {"email": "ttl@example.test"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="ttl-default",
    )
    with tenant_context(tenant):
        record = IdempotencyRecord.objects.get()

    assert response.status_code == 201
    assert record.expires_at - record.created_at == timedelta(hours=24)


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
@pytest.mark.parametrize(
    ("other", "tickets_in_first_tenant"),
    [("another-key", 2), ("another-principal", 2), ("another-tenant", 1)],
)
def test_only_the_same_key_principal_and_tenant_waits_for_the_first(
    other, tickets_in_first_tenant, member, api_client, tenant, other_tenant, monkeypatch
):
    agent = member(Role.AGENT)
    others = {
        "another-key": (api_client(agent), tenant, "key-2"),
        "another-principal": (api_client(member(Role.AGENT)), tenant, "key-1"),
        "another-tenant": (
            api_client(member(Role.AGENT, tenant=other_tenant, user_fields={})),
            other_tenant,
            "key-1",
        ),
    }
    started, release = threading.Event(), threading.Event()
    real_create = ticket_services.ticket_create

    def slow_create(**kwargs):
        if kwargs["tenant"].pk == tenant.pk and not started.is_set():
            started.set()
            release.wait(10)
        return real_create(**kwargs)

    monkeypatch.setattr(ticket_services, "ticket_create", slow_create)
    body = {"subject": "Slow", "customer_email": "slow@example.test"}
    results = {}

    def first():
        try:
            results["first"] = api_client(agent).post(
                f"/api/v1/t/{tenant.slug}/tickets/", body, format="json",
                HTTP_IDEMPOTENCY_KEY="key-1",
            )  # fmt: skip
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(10)
    client, target, key = others[other]
    try:
        second = client.post(
            f"/api/v1/t/{target.slug}/tickets/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
        )
    finally:
        release.set()
        thread.join(15)

    assert second.status_code == 201, second.content
    assert results["first"].status_code == 201
    with tenant_context(tenant):
        assert Ticket.objects.count() == tickets_in_first_tenant


_ONE_STATEMENT = {
    # What migration tenants 0009 does: the lock, then the lookup in a snapshot of its own.
    "tenants_idempotency_begin": (
        "SELECT b.locked, b.id FROM (SELECT %s::bigint AS lock FROM pg_sleep(0.3)) AS s,"
        " LATERAL tenants_idempotency_begin(s.lock, %s, %s, %s) AS b"
    ),
    # Negative control: the same two steps as one plain statement read with the snapshot the
    # statement took at its start, before the sleep, and miss the twin's record.
    "plain statement": (
        "SELECT pg_try_advisory_xact_lock(s.lock), r.id"
        " FROM (SELECT %s::bigint AS lock FROM pg_sleep(0.3)) AS s"
        " LEFT JOIN tenants_idempotencyrecord r"
        " ON r.tenant_id = %s AND r.principal = %s AND r.key = %s"
    ),
}


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
@pytest.mark.parametrize(
    ("how", "sees_the_twin"), [(k, k != "plain statement") for k in _ONE_STATEMENT]
)
def test_the_lock_and_lookup_see_a_twin_that_committed_after_the_statement_began(
    how, sees_the_twin, tenant
):
    # The twin holds the key's lock and has written its record. The call's statement begins
    # (its snapshot is taken), sleeps, and meanwhile the twin commits: the lock is free when
    # the call asks for it, and the record must be seen, or the request would run twice (up
    # to the unique index, which would fail it).
    principal, key = "user:twin", "k-1"
    lock = _lock_id(tenant.pk, principal, key)

    def twin():
        with tenant_context(tenant), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock])
            return idempotency_record_recipe.make(tenant=tenant, principal=principal, key=key).pk

    def call():
        with transaction.atomic(), tenant_context(tenant), connection.cursor() as cursor:
            cursor.execute(_ONE_STATEMENT[how], [lock, tenant.pk, principal, key])
            return cursor.fetchone()

    with held(twin) as first:
        caller = in_background(call)
        wait_until(_sleeping, what="the call's statement has begun")
    locked, seen = caller.result()

    assert locked is True
    assert (seen == first.result()) is sees_the_twin


def _sleeping() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] == 1


def test_the_lock_and_lookup_read_only_the_current_tenants_records(tenant, other_tenant):
    # SECURITY INVOKER: the function reads under row-level security, whatever it is asked.
    with tenant_context(other_tenant):
        theirs = idempotency_record_recipe.make(tenant=other_tenant, principal="user:a", key="k")
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(
            "SELECT locked, id FROM tenants_idempotency_begin(1, %s, 'user:a', 'k')",
            [other_tenant.pk],
        )
        asked_for_theirs = cursor.fetchone()
    with tenant_context(other_tenant), connection.cursor() as cursor:
        cursor.execute(
            "SELECT locked, id FROM tenants_idempotency_begin(2, %s, 'user:a', 'k')",
            [other_tenant.pk],
        )
        in_their_context = cursor.fetchone()

    assert asked_for_theirs == (True, None)
    assert in_their_context == (True, theirs.pk)
