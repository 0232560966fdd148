"""Entering the tenant-scoped admin (supervisor and up) and its scoped ticket and customer
lists, search and filters; the read-only ticket page."""

from datetime import UTC, datetime

import pytest

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role, Tenant
from tests.tickets.admin_helpers import CUSTOMERS, TICKETS, change_url
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


LOGIN = "/admin/login/"


# --- Entering -------------------------------------------------------------------------------------


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


# --- Scoped lists ---------------------------------------------------------------------------------


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


# --- Viewing a ticket -----------------------------------------------------------------------------


def test_ticket_page_shows_the_conversation_and_history_read_only(admin_login, member, seeded):
    response = admin_login(member(Role.SUPERVISOR)).get(change_url(TICKETS, seeded["own"]))

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


def test_other_tenants_ticket_page_does_not_exist(
    admin_login, member, seeded, other_tenant, tenant
):
    # Admin URLs name tickets by their number in the acting tenant: the other tenant's #1 is
    # not reachable, its #3 (which this tenant does not have) is no page.
    with tenant_context(other_tenant):
        for subject in ("Bravo two", "Bravo three"):
            services.ticket_create(
                tenant=other_tenant, actor=Actor(), subject=subject, customer_email="b@x.test"
            )
    client = admin_login(member(Role.ADMIN))

    same_number = client.get(change_url(TICKETS, seeded["foreign"]))
    only_theirs = client.get(f"{TICKETS}3/change/", follow=True)
    by_database_id = client.get(f"{TICKETS}{seeded['own'].pk + 100000}/change/", follow=True)

    assert seeded["foreign"].number == seeded["own"].number
    assert "Alpha printer on fire" in same_number.content.decode()
    for response in (same_number, only_theirs, by_database_id):
        assert "Bravo" not in response.content.decode()
    assert only_theirs.redirect_chain[-1][0] == "/admin/"  # Django: "doesn't exist", to index


def test_assignee_choices_cover_only_the_acting_tenants_members(
    admin_login, member, seeded, other_tenant, agent
):
    foreign_agent = member(Role.AGENT, tenant=other_tenant)

    response = admin_login(member(Role.SUPERVISOR)).get(change_url(TICKETS, seeded["own"]))

    choices = set(response.context["adminform"].form.fields["assignee"].queryset)
    assert agent.user in choices
    assert foreign_agent.user not in choices


# --- Times in the tenant's timezone ---------------------------------------------------------------


def test_the_admin_shows_times_in_the_tenants_timezone(admin_login, member, seeded, tenant):
    Tenant.objects.filter(pk=tenant.pk).update(timezone="Asia/Tokyo")
    with tenant_context(tenant):
        moment = datetime(2026, 1, 15, 18, 30, tzinfo=UTC)
        Ticket.objects.filter(pk=seeded["own"].pk).update(created_at=moment, updated_at=moment)
    client = admin_login(member(Role.SUPERVISOR))

    listed = client.get(TICKETS).content.decode()
    page = client.get(change_url(TICKETS, seeded["own"])).content.decode()

    # 18:30 UTC is 03:30 the next morning in Tokyo.
    assert "Jan. 16, 2026, 3:30 a.m." in listed
    assert "Jan. 16, 2026, 3:30 a.m." in page
    assert "6:30 p.m." not in listed


# --- Admin URLs name objects by public ids, never database ids ------------------------------------


def test_admin_links_use_ticket_numbers_and_public_ids(admin_login, member, seeded):
    client = admin_login(member(Role.ADMIN))
    own, customer = seeded["own"], seeded["own_customer"]

    tickets = client.get(TICKETS).content.decode()
    customers = client.get(CUSTOMERS).content.decode()
    page = client.get(change_url(TICKETS, own)).content.decode()

    assert f'href="{TICKETS}{own.number}/change/' in tickets
    assert f'href="{CUSTOMERS}{customer.public_id}/change/' in customers
    assert f"{CUSTOMERS}{customer.pk}/change/" not in customers
    assert f"{TICKETS}{own.number}/history/" in page
    assert client.get(f"{CUSTOMERS}{customer.pk}/change/", follow=True).redirect_chain


def test_a_malformed_admin_key_is_no_page_never_an_error(admin_login, member, seeded):
    client = admin_login(member(Role.ADMIN))

    for url in (f"{CUSTOMERS}not-a-uuid/change/", f"{TICKETS}99999999999999999999/change/"):
        response = client.get(url, follow=True)
        assert response.status_code == 200 and response.redirect_chain[-1][0] == "/admin/", url
