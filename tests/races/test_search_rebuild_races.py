"""A search rebuild batch meeting a comment written at the same time (docs/search.md §6): the
batch locks its tickets FOR SHARE, so it reads the comment once its writer commits instead of
overwriting the comment's fresh document with one built before it."""

import pytest

from tenants.models import Tenant
from tests.concurrency import held, in_background, wait_until_blocked
from tests.tickets.search.helpers import found, make_comment, make_ticket
from tickets.search import ticket_search_rebuild

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "owner"])


def test_a_rebuild_batch_waits_for_a_comment_being_written_and_keeps_it(tenant):
    Tenant.objects.filter(pk=tenant.pk).update(settings={"search_language": "simple"})
    ticket = make_ticket(tenant, "Papierstau des Druckers")
    Tenant.objects.filter(pk=tenant.pk).update(settings={"search_language": "german"})

    with held(lambda: make_comment(tenant, ticket, "Drucker steht im Flur")):
        rebuild = in_background(lambda: ticket_search_rebuild(tenant_id=tenant.pk))
        wait_until_blocked(rebuild)

    assert rebuild.result() == 2  # one batch, then the empty one
    assert found(tenant, "Flure") == [ticket.pk]
    assert found(tenant, "Druckern") == [ticket.pk]
