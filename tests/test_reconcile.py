"""The reconciliation the fault tests end with (tests/reconcile.py) reports what it exists to
find: a committed ticket without its email row, a row never finished."""

import pytest

from notifications.models import EmailKind
from tenants import events
from tests.notifications.helpers import deliveries
from tests.reconcile import reconcile
from tests.tickets.helpers import make_ticket

pytestmark = pytest.mark.django_db


def test_a_ticket_without_its_email_and_an_unsent_row_are_reported(tenant):
    # A ticket created with no subscriber listening has no email row; another's row is still
    # pending (a test transaction never commits, so nothing was sent).
    with events.silenced():
        silent = make_ticket(tenant, subject="Nobody listened")
    make_ticket(tenant, subject="Never sent")
    [row] = deliveries(tenant)

    found = reconcile()

    assert found.tickets_without_email == [(tenant.slug, silent.number)]
    assert found.unfinished == [("notifications.EmailDelivery", row.pk, "pending")]
    assert not found.ok


def test_every_ticket_with_its_sent_email_reconciles(tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(tenant, subject="Sent")

    assert [(row.kind, row.status) for row in deliveries(tenant)] == [
        (EmailKind.TICKET_RECEIVED, "sent")
    ]
    assert reconcile().ok
