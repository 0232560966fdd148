"""Tags a ticket already has (stored before today's tag rules, or by an import) never block
another change; every tag a change adds must pass the rules."""

import pytest
from django.core.exceptions import ValidationError

from tenants.access import SYSTEM
from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.recipes import customer_recipe, ticket_recipe
from tickets import services

LEGACY = "Legacy Tag"  # not a tag the rules would accept today


@pytest.fixture
def legacy_ticket(tenant):
    with tenant_context(tenant):
        return ticket_recipe.make(
            tenant=tenant, requester=customer_recipe.make(tenant=tenant), tags=[LEGACY]
        )


def test_bulk_adds_a_tag_beside_a_stored_one(tenant, member, api_client, legacy_ticket):
    client = api_client(member(Role.SUPERVISOR))

    response = client.post(
        f"/api/v1/t/{tenant.slug}/tickets/bulk/",
        {"numbers": [legacy_ticket.number], "changes": {"tags_add": ["new"]}},
        format="json",
    )

    assert response.status_code == 200, response.content
    with tenant_context(tenant):
        legacy_ticket.refresh_from_db()
    assert legacy_ticket.tags == [LEGACY, "new"]


def test_a_service_change_keeps_a_stored_tag_and_normalises_the_new_ones(tenant, legacy_ticket):
    with tenant_context(tenant):
        ticket = services.ticket_update(
            tenant=tenant, actor=SYSTEM, ticket=legacy_ticket, tags=[LEGACY, " VIP "]
        )

    assert ticket.tags == [LEGACY, "vip"]


def test_a_new_tag_that_breaks_the_rules_is_refused_and_nothing_changes(tenant, legacy_ticket):
    with tenant_context(tenant):
        with pytest.raises(ValidationError) as raised:
            services.ticket_update(
                tenant=tenant, actor=SYSTEM, ticket=legacy_ticket, tags=[LEGACY, "Another One"]
            )
        legacy_ticket.refresh_from_db()

    assert list(raised.value.message_dict) == ["tags"]
    assert legacy_ticket.tags == [LEGACY]
    assert legacy_ticket.version == 1
