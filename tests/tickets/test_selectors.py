"""The read selectors views and jobs share: one object by its key (NotFound outside the
tenant), and the list filters applied without an HTTP request."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.errors import NotFoundError
from tenants.access import Actor
from tenants.context import TenantContextMissing, tenant_context
from tenants.models import Role
from tests.tickets.helpers import make_ticket
from tests.tickets.recipes import business_hours_recipe
from tickets import selectors, sla
from tickets.services import sla_settings


def _ticket(tenant, **fields):
    fields.setdefault("customer_email", "c@example.test")
    return make_ticket(tenant, **fields)


def test_ticket_get_by_number_or_id_reads_the_ticket_with_its_relations_in_one_query(tenant):
    ticket = _ticket(tenant)

    with tenant_context(tenant), CaptureQueriesContext(connection) as queries:
        by_number = selectors.ticket_get(tenant=tenant, number=ticket.number)
        by_pk = selectors.ticket_get(tenant=tenant, pk=ticket.pk)
        emails = (by_number.requester.email, by_pk.requester.email)

    assert (by_number.pk, by_pk.pk) == (ticket.pk, ticket.pk)
    assert emails == ("c@example.test", "c@example.test")
    assert len(queries) == 2


def test_ticket_get_of_another_tenants_ticket_is_not_found_like_a_missing_one(tenant, other_tenant):
    theirs = _ticket(other_tenant)  # number 1 there; this tenant has no ticket 1

    with tenant_context(tenant):
        with pytest.raises(NotFoundError) as by_number:
            selectors.ticket_get(tenant=tenant, number=theirs.number)
        with pytest.raises(NotFoundError) as by_pk:
            selectors.ticket_get(tenant=tenant, pk=theirs.pk)
        with pytest.raises(NotFoundError) as missing:
            selectors.ticket_get(tenant=tenant, number=999)

    details = {e.value.detail for e in (by_number, by_pk, missing)}
    assert details == {"Not found."}


def test_ticket_get_reads_each_tenants_own_ticket_in_turn_and_none_across(tenant, other_tenant):
    # ticket_get's query is compiled once per process and run for whichever tenant is current.
    ours, theirs = _ticket(tenant, subject="ours"), _ticket(other_tenant, subject="theirs")
    assert ours.number == theirs.number == 1

    for t, subject in [(tenant, "ours"), (other_tenant, "theirs"), (tenant, "ours")]:
        with tenant_context(t):
            assert selectors.ticket_get(tenant=t, number=1).subject == subject
    with tenant_context(tenant), pytest.raises(NotFoundError):  # asked across the context
        selectors.ticket_get(tenant=other_tenant, number=1)
    with pytest.raises(TenantContextMissing):  # outside any tenant: fails closed
        selectors.ticket_get(tenant=tenant, number=1)


@pytest.mark.parametrize("no_key", [False, True], ids=["for-update", "for-no-key-update"])
@pytest.mark.parametrize("by", ["pk", "public_id", "email"])
def test_customer_get_for_update_locks_the_tenants_own_customer(tenant, other_tenant, by, no_key):
    # Compiled once per process (tenants.compiled) and run for whichever tenant is current.
    ours = _ticket(tenant, customer_email="same@example.test").requester
    theirs = _ticket(other_tenant, customer_email="same@example.test").requester

    for t, customer in [(tenant, ours), (other_tenant, theirs), (tenant, ours)]:
        key = {"email": " SAME@example.test "} if by == "email" else {by: getattr(customer, by)}
        with tenant_context(t), CaptureQueriesContext(connection) as queries:
            locked = selectors.customer_get_for_update(tenant=t, no_key=no_key, **key)
        assert (locked.pk, locked.email) == (customer.pk, "same@example.test")
        [sql] = [q["sql"] for q in queries.captured_queries]
        assert sql.endswith("FOR NO KEY UPDATE" if no_key else "FOR UPDATE"), sql
    with tenant_context(tenant), pytest.raises(NotFoundError):  # asked across the context
        selectors.customer_get_for_update(tenant=other_tenant, pk=theirs.pk, no_key=no_key)


@pytest.mark.parametrize("keys", [{}, {"pk": 1, "number": 1}], ids=["neither", "both"])
def test_ticket_get_needs_exactly_one_key(tenant, keys):
    with tenant_context(tenant), pytest.raises(TypeError):
        selectors.ticket_get(tenant=tenant, **keys)


def test_customer_get_by_id_as_uuid_or_string(tenant):
    customer = _ticket(tenant).requester

    with tenant_context(tenant):
        found = [
            selectors.customer_get(tenant=tenant, public_id=customer.public_id),
            selectors.customer_get(tenant=tenant, public_id=str(customer.public_id)),
        ]

    assert [c.pk for c in found] == [customer.pk, customer.pk]


@pytest.mark.parametrize("public_id", ["not-a-uuid", "-" * 36, ""], ids=["word", "dashes", "empty"])
def test_customer_get_of_a_malformed_id_is_not_found(tenant, public_id):
    with tenant_context(tenant), pytest.raises(NotFoundError):
        selectors.customer_get(tenant=tenant, public_id=public_id)


def test_customer_get_of_another_tenants_customer_is_not_found(tenant, other_tenant):
    theirs = _ticket(other_tenant).requester

    with tenant_context(tenant), pytest.raises(NotFoundError):
        selectors.customer_get(tenant=tenant, public_id=theirs.public_id)


def test_ticket_list_filtered_applies_the_list_filters_for_an_explicit_user(tenant, member):
    agent = member(Role.AGENT).user
    mine = _ticket(tenant, subject="mine", assignee=agent)
    _ticket(tenant, subject="unassigned")

    with tenant_context(tenant):
        as_agent = selectors.ticket_list_filtered(
            tenant=tenant, user=agent, filters={"assignee": "me", "status": ["open"]}
        )
        as_nobody = selectors.ticket_list_filtered(
            tenant=tenant, user=None, filters={"assignee": "me"}
        )
        unassigned = selectors.ticket_list_filtered(
            tenant=tenant, user=None, filters={"assignee": "none"}
        )
        mine_pks, nobody_pks = [t.pk for t in as_agent], list(as_nobody)
        unassigned_subjects = [t.subject for t in unassigned]

    assert mine_pks == [mine.pk]
    assert nobody_pks == []  # an API key or a job is nobody: `me` matches no ticket
    assert unassigned_subjects == ["unassigned"]


@pytest.mark.parametrize(
    ("filters", "errors"),
    [
        (
            {"status": ["bogus"]},
            {"status": ["Select a valid choice. bogus is not one of the available choices."]},
        ),
        ({"assignee": "bob"}, {"assignee": ["Use a user id, 'me' or 'none'."]}),
    ],
    ids=["form-field", "method-filter"],
)
def test_ticket_list_filtered_rejects_a_bad_filter_naming_it(tenant, filters, errors):
    with tenant_context(tenant), pytest.raises(ValidationError) as error:
        selectors.ticket_list_filtered(tenant=tenant, user=None, filters=filters)

    assert error.value.message_dict == errors


def test_customer_list_filtered_applies_the_customer_filters(tenant):
    ticket = _ticket(tenant, customer_email="Ada@Example.test")
    _ticket(tenant, customer_email="bob@example.test")

    with tenant_context(tenant):
        found = list(
            selectors.customer_list_filtered(
                tenant=tenant, user=None, filters={"email": " ADA@example.test "}
            )
        )

    assert found == [ticket.requester]


def test_a_customer_locked_with_the_sla_config_carries_its_tenants_in_the_same_query(
    tenant, other_tenant
):
    # A new ticket locks its requester and reads the SLA configuration in one statement: the
    # configuration of the locked customer's tenant, as sla_config_load reads it alone.
    with tenant_context(tenant):
        business_hours_recipe.make(
            tenant=tenant, intervals=[{"weekday": 0, "start": "09:00", "end": "17:00"}]
        )
        sla_settings.sla_policy_create(
            tenant=tenant, actor=Actor(), tier="premium", first_response_minutes={"critical": 30}
        )
    customers = {t: _ticket(t).requester for t in (tenant, other_tenant)}
    read = {}

    for t in (tenant, other_tenant, tenant):
        with tenant_context(t), CaptureQueriesContext(connection) as queries:
            locked = selectors.customer_get_for_update(
                tenant=t, pk=customers[t].pk, no_key=True, with_sla_config=True
            )
            read[t] = sla.sla_config_for(locked)
        with tenant_context(t):
            alone = sla.sla_config_load()
        assert len(queries) == 1
        assert read[t] == alone
    assert read[tenant] != read[other_tenant]
    assert read[tenant].calendar.timezone == "Europe/Berlin"
    assert read[tenant].target_minutes("first_response", "critical", "premium") == 30


def test_a_customer_locked_without_the_sla_config_leaves_it_to_a_query(tenant):
    customer = _ticket(tenant).requester

    with tenant_context(tenant), CaptureQueriesContext(connection) as queries:
        locked = selectors.customer_get_for_update(tenant=tenant, pk=customer.pk)
        config = sla.sla_config_for(locked)

    assert len(queries) == 2
    assert "tickets_slapolicy" not in queries[0]["sql"] and "tickets_slapolicy" in queries[1]["sql"]
    with tenant_context(tenant):
        assert config == sla.sla_config_load()
