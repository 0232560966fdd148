"""manage.py sla_recompute: backfills tickets older than SLA policies, per tenant or all."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tenants.context import tenant_context
from tests.tickets.helpers import make_ticket
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

CREATED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _as_before_policies(tenant, ticket):
    """Blank the stored targets and due times, as on a ticket from before this feature."""
    with tenant_context(tenant):
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=CREATED,
            first_response_target_minutes=None,
            resolution_target_minutes=None,
            first_response_due_at=None,
            resolution_due_at=None,
        )


def _stored(tenant, ticket):
    with tenant_context(tenant):
        return Ticket.objects.get(pk=ticket.pk)


def test_the_command_backfills_one_tenant_and_leaves_the_others(tenant, other_tenant):
    mine = make_ticket(tenant, priority="critical")
    theirs = make_ticket(other_tenant, priority="critical")
    _as_before_policies(tenant, mine)
    _as_before_policies(other_tenant, theirs)
    out = StringIO()

    call_command("sla_recompute", tenant=tenant.slug, stdout=out)

    backfilled = _stored(tenant, mine)
    assert (backfilled.first_response_target_minutes, backfilled.resolution_target_minutes) == (
        60,
        240,
    )
    assert backfilled.first_response_due_at == CREATED + timedelta(hours=1)
    assert backfilled.resolution_due_at == CREATED + timedelta(hours=4)
    assert _stored(other_tenant, theirs).first_response_due_at is None
    assert f"{tenant.slug}: 1 tickets recomputed" in out.getvalue()


def test_the_command_leaves_finished_tickets_alone_and_is_idempotent(tenant):
    done = make_ticket(tenant, priority="high", status="resolved")
    _as_before_policies(tenant, done)
    out = StringIO()

    call_command("sla_recompute", stdout=out)
    call_command("sla_recompute", stdout=out)

    assert _stored(tenant, done).resolution_due_at is None
    assert out.getvalue().count("0 tickets recomputed") >= 2


def test_an_unknown_tenant_is_an_error():
    with pytest.raises(CommandError, match="No tenant"):
        call_command("sla_recompute", tenant="nope")
