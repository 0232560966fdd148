"""Item 7: identical merges let exactly one win; a merge racing a delete of either ticket is a
404. Merge and delete racing through the barrier (no deadlock: one lock order, by id) are rows
of the harness, tests/races/test_write_routes.py."""

import pytest

from tenants.context import tenant_context
from tests.concurrency import held, in_background, race, wait_until_blocked
from tests.races.conftest import outcome
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "owner"])


def _merge_request(client, tenant, source, target):
    url = f"/api/v1/t/{tenant.slug}/tickets/{source.number}/merge/"
    return lambda: client.post(url, {"into": target.number}, format="json")


def test_a_merge_waiting_on_the_same_merge_is_409_already_merged(tenant, admin, api_client, build):
    world = build()

    def merge():
        with tenant_context(tenant):
            return services.ticket_merge(
                tenant=tenant, actor=world.actor, ticket=world.ticket, into=world.other
            )

    with held(merge):
        second = in_background(_merge_request(api_client(admin), tenant, world.ticket, world.other))
        wait_until_blocked(second)

    assert outcome(second.result()) == (409, "ticket_already_merged")
    assert second.result().json()["extra"] == {
        "number": world.ticket.number,
        "merged_into": world.other.number,
    }


def test_identical_merges_at_once_let_exactly_one_win(tenant, admin, api_client, build):
    world = build()
    calls = [_merge_request(api_client(admin), tenant, world.ticket, world.other) for _ in range(4)]

    results = race(*calls)

    assert sorted((outcome(r) for r in results), key=str) == [
        (200, None),
        *[(409, "ticket_already_merged")] * 3,
    ]


@pytest.mark.parametrize("deleted", ["source", "target"])
def test_a_merge_waiting_on_a_delete_of_either_ticket_is_404(
    tenant, admin, api_client, build, deleted
):
    world = build()
    victim = world.ticket if deleted == "source" else world.other

    def delete():
        with tenant_context(tenant):
            services.ticket_delete(tenant=tenant, actor=world.actor, ticket=victim)

    with held(delete):
        merge = in_background(_merge_request(api_client(admin), tenant, world.ticket, world.other))
        wait_until_blocked(merge)

    assert outcome(merge.result()) == (404, "not_found")
    with tenant_context(tenant):
        survivor = Ticket.objects.get(pk=(world.other if deleted == "source" else world.ticket).pk)
    assert (survivor.status, survivor.merged_into_id) == ("open", None)
