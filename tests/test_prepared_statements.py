"""Prepared statements on the runtime connection (DATABASE_PREPARED_STATEMENTS): psycopg
prepares a statement the connection has run five times, and the plan it keeps serves every
tenant whose transaction runs on that connection. Row-level security must still scope each
run to the tenant of its own transaction: the policy reads the tenant setting when the
statement runs, not when it was planned."""

import pytest
from django.db import connection, transaction

from tenants.context import tenant_context
from tests.tickets.helpers import make_ticket
from tickets import selectors
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "owner"])

# No tenant filter of its own: only row-level security scopes it.
_UNFILTERED = "SELECT count(*), min(tenant_id), max(tenant_id) FROM tickets_ticket"


def _prepared(fragment: str) -> list[tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return cursor.fetchall()


def test_a_prepared_statement_reads_the_rows_of_each_transactions_tenant(tenant, other_tenant):
    for t, count in ((tenant, 2), (other_tenant, 3)):
        for n in range(count):
            make_ticket(t, subject=f"t{n}", customer_email="c@example.test")
    expected = {
        tenant.pk: (2, tenant.pk, tenant.pk),
        other_tenant.pk: (3,) + (other_tenant.pk,) * 2,
    }
    order = [tenant] * 6 + [other_tenant, tenant] * 6  # prepared after five, then both tenants

    seen = []
    for t in order:
        with transaction.atomic(), tenant_context(t), connection.cursor() as cursor:
            cursor.execute(_UNFILTERED)
            seen.append((t.pk, cursor.fetchone()))
        with transaction.atomic(), tenant_context(t):  # the ORM's and a compiled query
            orm = list(Ticket.objects.values_list("tenant_id", flat=True).distinct())
            first = selectors.ticket_get(tenant=t, number=1)
        assert orm == [t.pk] and first.tenant_id == t.pk

    assert seen == [(pk, expected[pk]) for pk, _ in seen]
    [(generic, custom)] = _prepared("FROM tickets_ticket") or [(0, 0)]
    assert generic + custom >= len(order) - 5  # it ran prepared, for both tenants


def test_outside_any_tenant_a_prepared_statement_reads_nothing(tenant):
    make_ticket(tenant, subject="mine", customer_email="c@example.test")
    for _ in range(6):
        with transaction.atomic(), tenant_context(tenant), connection.cursor() as cursor:
            cursor.execute(_UNFILTERED)
            assert cursor.fetchone()[0] == 1

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_UNFILTERED)
        outside = cursor.fetchone()

    assert _prepared("FROM tickets_ticket")  # the statement above ran prepared
    assert outside == (0, None, None)
