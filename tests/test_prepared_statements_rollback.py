"""A tenant request that ends in an error, HEAD or OPTIONS keeps nothing. When it wrote
nothing it commits rather than rolls back (the same outcome): psycopg drops every prepared
statement of the connection on a ROLLBACK, so each 401, 404 or 429 would otherwise cost the
next requests their prepared plans (tests/test_prepared_statements.py)."""

import pytest
from django.db import DatabaseError, connection, transaction

from tenants.api.base import _changed_nothing
from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.helpers import make_ticket
from tickets.models import Customer

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "owner"])


def _prepared_here() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        return cursor.fetchone()[0]


def test_a_404_keeps_the_connections_prepared_statements(tenant, member, api_client):
    client = api_client(member(Role.AGENT))
    number = make_ticket(tenant, customer_email="c@example.test").number
    base = f"/api/v1/t/{tenant.slug}/tickets"
    for _ in range(7):
        assert client.get(f"{base}/{number}/").status_code == 200
    prepared = _prepared_here()

    missing = client.get(f"{base}/999999/")
    options = client.options(f"{base}/")

    assert (missing.status_code, options.status_code) == (404, 200)
    assert prepared > 0
    assert _prepared_here() >= prepared


def test_what_the_transaction_did_decides_commit_or_rollback(tenant):
    with transaction.atomic():
        assert _changed_nothing(connection) is True  # nothing yet
        with tenant_context(tenant):
            Customer.objects.filter(email="x@example.test").first()  # a read
        assert _changed_nothing(connection) is True
    with transaction.atomic(), tenant_context(tenant):
        Customer.objects.create(tenant=tenant, email="w@example.test")
        assert _changed_nothing(connection) is False  # a row written
        transaction.set_rollback(True)
    make_ticket(tenant, customer_email="l@example.test")
    with transaction.atomic(), tenant_context(tenant):
        list(Customer.objects.select_for_update())  # a row locked
        assert _changed_nothing(connection) is False
        transaction.set_rollback(True)
    with transaction.atomic():
        transaction.on_commit(lambda: None)
        assert _changed_nothing(connection) is False  # a callback would run on COMMIT
        transaction.set_rollback(True)
    with transaction.atomic():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1/0")
        except DatabaseError:
            pass
        assert _changed_nothing(connection) is False  # the transaction is broken
        transaction.set_rollback(True)


def test_an_error_after_a_write_still_keeps_nothing(tenant, member, api_client, monkeypatch):
    # A handler that wrote and then answered 4xx (no exception, so no needs_rollback flag).
    from rest_framework.response import Response

    from tickets.api import views

    def create(self, request, *args, **kwargs):
        Customer.objects.create(tenant=request.tenant, email="half@example.test")
        return Response({"detail": "No.", "code": "invalid"}, status=400)

    monkeypatch.setattr(views.TicketViewSet, "create", create)
    client = api_client(member(Role.AGENT))

    response = client.post(f"/api/v1/t/{tenant.slug}/tickets/", {}, format="json")

    assert response.status_code == 400
    with tenant_context(tenant):
        assert not Customer.objects.filter(email="half@example.test").exists()


def test_inside_an_enclosing_transaction_a_refused_request_rolls_its_savepoint_back(
    tenant, member, api_client
):
    # Called inside a transaction that has written nothing, the request's block is a
    # savepoint: a release would keep its advisory locks (the Idempotency-Key's) until the
    # enclosing transaction ends, a rollback to it lets them go, as before.
    client = api_client(member(Role.AGENT))

    with transaction.atomic():
        refused = client.post(
            f"/api/v1/t/{tenant.slug}/tickets/",
            {"subject": ""},
            format="json",
            HTTP_IDEMPOTENCY_KEY="held-1",
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks"
                " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
            held = cursor.fetchone()[0]

    assert refused.status_code == 400
    assert held == 0
