"""Customers and tickets in the tenant-scoped admin: scoped lists and search, read-only
conversation and history, changes only through the services.

The tests' own copy of the rules: supervisor, admin and owner enter the admin and may view and
change tickets and customers; agent and viewer never enter; nobody adds or deletes tickets or
customers here; an erased customer is read-only.
"""

import pytest
from django.contrib.messages import get_messages

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tickets import services
from tickets.models import Customer, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
TICKETS = "/admin/tickets/ticket/"
CUSTOMERS = "/admin/tickets/customer/"


def change_url(base: str, pk: int) -> str:
    return f"{base}{pk}/change/"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def admin_login(client):
    def login(membership):
        client.force_login(membership.user)
        return client

    return login


@pytest.fixture
def agent(member):
    return member(Role.AGENT)


@pytest.fixture
def seeded(tenant, other_tenant, agent):
    """One ticket with a conversation per tenant; the same requester email in both."""
    team = Actor(user=agent.user, role=Role.AGENT)
    with tenant_context(tenant):
        own = services.ticket_create(
            tenant=tenant,
            actor=team,
            subject="Alpha printer on fire",
            customer_email="shared@example.test",
            priority="high",
        )
        services.comment_create(tenant=tenant, actor=team, ticket=own, body="Alpha reply body")
        services.comment_create(
            tenant=tenant, actor=team, ticket=own, body="Alpha private note", public=False
        )
        second = services.ticket_create(
            tenant=tenant,
            actor=team,
            subject="Alpha second",
            customer_email="second@example.test",
            channel="phone",
        )
        own_customer = Customer.objects.get(email="shared@example.test")
    with tenant_context(other_tenant):
        foreign = services.ticket_create(
            tenant=other_tenant,
            actor=Actor(),
            subject="Bravo secret ticket",
            customer_email="shared@example.test",
        )
        services.comment_create(
            tenant=other_tenant, actor=Actor(), ticket=foreign, body="Bravo reply body"
        )
        foreign_customer = Customer.objects.get(email="shared@example.test")
        services.customer_update(
            tenant=other_tenant, actor=Actor(), customer=foreign_customer, name="Bravo Person"
        )
    return {
        "own": own,
        "second": second,
        "foreign": foreign,
        "own_customer": own_customer,
        "foreign_customer": foreign_customer,
    }


def _post_data(response, **overrides) -> dict:
    """The change form as the browser would send it: field values and inline management data."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if hasattr(value, "pk"):
            value = value.pk
        if value is not None:
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management.initial.get(name, 0)
    data.update(overrides)
    data["_save"] = "Save"
    return {key: value for key, value in data.items() if value is not None}


def _ticket(tenant, pk) -> Ticket:
    with tenant_context(tenant):
        return Ticket.objects.get(pk=pk)


# --- Entering ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.SUPERVISOR])
def test_supervisor_and_above_see_tickets_and_customers(admin_login, member, seeded, role):
    client = admin_login(member(role))

    index = client.get("/admin/").content.decode()

    assert client.get(TICKETS).status_code == 200
    assert client.get(CUSTOMERS).status_code == 200
    assert TICKETS in index
    assert CUSTOMERS in index


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
@pytest.mark.parametrize("page", [TICKETS, CUSTOMERS])
def test_agent_and_viewer_cannot_enter(admin_login, member, seeded, role, page):
    client = admin_login(member(role))

    response = client.get(page)

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


# --- Scoped lists -----------------------------------------------------------------------------


def test_ticket_changelist_lists_only_the_acting_tenants_tickets(admin_login, member, seeded):
    response = admin_login(member(Role.SUPERVISOR)).get(TICKETS)

    content = response.content.decode()
    assert response.status_code == 200
    assert {t.pk for t in response.context["cl"].result_list} == {
        seeded["own"].pk,
        seeded["second"].pk,
    }
    assert "Alpha printer on fire" in content
    assert "Bravo secret ticket" not in content


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        pytest.param("shared@example.test", {"own"}, id="requester-email"),
        pytest.param("printer", {"own"}, id="subject"),
        pytest.param("secret", set(), id="other-tenants-subject"),
    ],
)
def test_ticket_search_stays_in_the_acting_tenant(admin_login, member, seeded, term, expected):
    response = admin_login(member(Role.SUPERVISOR)).get(TICKETS, {"q": term})

    assert {t.pk for t in response.context["cl"].result_list} == {seeded[k].pk for k in expected}


def test_ticket_search_by_number_finds_only_the_own_ticket(admin_login, member, seeded):
    number = seeded["own"].number  # the other tenant's ticket carries the same number
    assert seeded["foreign"].number == number

    response = admin_login(member(Role.SUPERVISOR)).get(TICKETS, {"q": str(number)})

    assert [t.pk for t in response.context["cl"].result_list] == [seeded["own"].pk]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"priority__exact": "high"}, {"own"}, id="priority"),
        pytest.param({"channel__exact": "phone"}, {"second"}, id="channel"),
        pytest.param({"status__exact": "open"}, {"own", "second"}, id="status"),
        pytest.param({"status__exact": "closed"}, set(), id="status-none"),
    ],
)
def test_ticket_list_filters(admin_login, member, seeded, params, expected):
    response = admin_login(member(Role.SUPERVISOR)).get(TICKETS, params)

    assert {t.pk for t in response.context["cl"].result_list} == {seeded[k].pk for k in expected}


def test_customer_changelist_is_scoped_searchable_and_filters_by_tier(
    admin_login, member, seeded, tenant
):
    with tenant_context(tenant):
        services.customer_update(
            tenant=tenant, actor=Actor(), customer=seeded["own_customer"], tier="premium"
        )
    client = admin_login(member(Role.SUPERVISOR))

    listed = client.get(CUSTOMERS)
    searched = client.get(CUSTOMERS, {"q": "shared"})
    premium = client.get(CUSTOMERS, {"tier__exact": "premium"})
    free = client.get(CUSTOMERS, {"tier__exact": "free"})

    own, second = seeded["own_customer"].pk, seeded["second"].requester_id
    assert {c.pk for c in listed.context["cl"].result_list} == {own, second}
    assert "Bravo Person" not in listed.content.decode()
    assert [c.pk for c in searched.context["cl"].result_list] == [own]
    assert [c.pk for c in premium.context["cl"].result_list] == [own]
    assert [c.pk for c in free.context["cl"].result_list] == [second]


# --- Viewing a ticket -------------------------------------------------------------------------


def test_ticket_page_shows_the_conversation_and_history_read_only(admin_login, member, seeded):
    response = admin_login(member(Role.SUPERVISOR)).get(change_url(TICKETS, seeded["own"].pk))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Alpha reply body" in content
    assert "Alpha private note" in content
    assert "Bravo reply body" not in content
    inlines = {i.formset.prefix: i for i in response.context["inline_admin_formsets"]}
    assert set(inlines) == {"comments", "attachments", "events"}
    assert len(inlines["comments"].formset.forms) == 2
    for inline in inlines.values():
        assert inline.has_add_permission is False
        assert inline.has_change_permission is False
        assert inline.has_delete_permission is False


def test_other_tenants_ticket_page_does_not_exist(admin_login, member, seeded):
    client = admin_login(member(Role.ADMIN))

    response = client.get(change_url(TICKETS, seeded["foreign"].pk))

    assert response.status_code in (302, 404)
    assert "Bravo secret ticket" not in response.content.decode()


def test_assignee_choices_cover_only_the_acting_tenants_members(
    admin_login, member, seeded, other_tenant, agent
):
    foreign_agent = member(Role.AGENT, tenant=other_tenant)

    response = admin_login(member(Role.SUPERVISOR)).get(change_url(TICKETS, seeded["own"].pk))

    choices = set(response.context["adminform"].form.fields["assignee"].queryset)
    assert agent.user in choices
    assert foreign_agent.user not in choices


# --- Changing a ticket ------------------------------------------------------------------------


def test_supervisor_changes_a_ticket_through_the_service(
    admin_login, member, seeded, tenant, agent
):
    supervisor = member(Role.SUPERVISOR)
    client = admin_login(supervisor)
    url = change_url(TICKETS, seeded["own"].pk)
    before = _ticket(tenant, seeded["own"].pk)

    response = client.post(
        url,
        _post_data(client.get(url), status="in_progress", priority="low", assignee=agent.user.pk),
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    after = _ticket(tenant, seeded["own"].pk)
    assert (after.status, after.priority, after.assignee_id) == (
        "in_progress",
        "low",
        agent.user.pk,
    )
    assert after.version == before.version + 1
    with tenant_context(tenant):
        history = set(
            TicketEvent.objects.filter(ticket_id=after.pk, actor_user=supervisor.user).values_list(
                "field", "old_value", "new_value"
            )
        )
    assert history == {
        ("status", "open", "in_progress"),
        ("priority", "high", "low"),
        ("assignee", None, str(agent.user.public_id)),
    }


def test_illegal_status_move_is_refused_with_a_message(admin_login, member, seeded, tenant):
    with tenant_context(tenant):
        services.ticket_update(
            tenant=tenant, actor=Actor(), ticket=seeded["own"], status="in_progress"
        )
    before = _ticket(tenant, seeded["own"].pk)
    client = admin_login(member(Role.SUPERVISOR))
    url = change_url(TICKETS, seeded["own"].pk)

    response = client.post(url, _post_data(client.get(url), status="closed", subject="Renamed"))

    texts = messages_of(response)
    assert response.status_code == 302
    assert any("cannot go from in_progress to closed" in text for text in texts), texts
    assert not any("changed successfully" in text for text in texts), texts
    after = _ticket(tenant, seeded["own"].pk)
    assert (after.status, after.subject, after.version) == (
        before.status,
        before.subject,
        before.version,
    )


def test_viewer_of_the_tenant_cannot_be_assigned(admin_login, member, seeded, tenant):
    viewer = member(Role.VIEWER)
    client = admin_login(member(Role.SUPERVISOR))
    url = change_url(TICKETS, seeded["own"].pk)

    response = client.post(url, _post_data(client.get(url), assignee=viewer.user.pk))

    assert any("active member" in text for text in messages_of(response))
    assert _ticket(tenant, seeded["own"].pk).assignee_id is None


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.OWNER])
def test_tickets_are_neither_added_nor_deleted_in_the_admin(
    admin_login, member, seeded, tenant, role
):
    client = admin_login(member(role))

    added = client.get(f"{TICKETS}add/")
    deleted = client.post(f"{TICKETS}{seeded['own'].pk}/delete/", {"post": "yes"})

    assert (added.status_code, deleted.status_code) == (403, 403)
    with tenant_context(tenant):
        assert Ticket.objects.filter(pk=seeded["own"].pk).exists()


# --- Changing a customer ----------------------------------------------------------------------


def test_customer_change_goes_through_the_service(admin_login, member, seeded, tenant):
    customer = seeded["own_customer"]
    client = admin_login(member(Role.SUPERVISOR))
    url = change_url(CUSTOMERS, customer.pk)

    response = client.post(url, _post_data(client.get(url), name="Renamed", tier="basic"))

    assert response.status_code == 302
    with tenant_context(tenant):
        stored = Customer.objects.get(pk=customer.pk)
    assert (stored.name, stored.tier, stored.version) == ("Renamed", "basic", customer.version + 1)


def test_customer_email_taken_in_the_tenant_is_refused(admin_login, member, seeded, tenant):
    customer = seeded["own_customer"]
    client = admin_login(member(Role.SUPERVISOR))
    url = change_url(CUSTOMERS, customer.pk)

    response = client.post(url, _post_data(client.get(url), email="SECOND@example.test"))

    assert any("already exists" in text for text in messages_of(response))
    with tenant_context(tenant):
        stored = Customer.objects.get(pk=customer.pk)
    assert (stored.email, stored.version) == ("shared@example.test", customer.version)


def test_erased_customer_is_read_only(admin_login, member, seeded, tenant):
    customer = seeded["own_customer"]
    with tenant_context(tenant):
        erased = services.customer_erase(tenant=tenant, actor=Actor(), customer=customer)
    client = admin_login(member(Role.ADMIN))
    url = change_url(CUSTOMERS, customer.pk)

    page = client.get(url)
    response = client.post(url, {"name": "Back again", "tier": "free", "_save": "Save"})

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert response.status_code == 403
    with tenant_context(tenant):
        stored = Customer.objects.get(pk=customer.pk)
    assert (stored.name, stored.version) == ("", erased.version)


def test_other_tenants_customer_cannot_be_changed(admin_login, member, seeded, other_tenant):
    foreign = seeded["foreign_customer"]

    response = admin_login(member(Role.ADMIN)).post(
        change_url(CUSTOMERS, foreign.pk),
        {"email": "x@example.test", "name": "Hijacked", "tier": "free", "_save": "Save"},
    )

    assert response.status_code in (302, 404)
    with tenant_context(other_tenant):
        stored = Customer.objects.get(pk=foreign.pk)
    assert (stored.name, stored.email) == ("Bravo Person", "shared@example.test")
