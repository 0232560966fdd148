"""`manage.py seed_bench`: counts, gap-free numbers, the counter, RLS, the API and search."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Membership, Role, Tenant
from tickets import services
from tickets.models import Comment, Customer, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

SEEDED_TABLES = ("tickets_customer", "tickets_ticket", "tickets_comment", "tickets_ticketevent")


def _seed(**options) -> str:
    out = StringIO()
    defaults = {
        "tenants": 2,
        "tickets_per_tenant": 20,
        "prefix": "sb",
        "agents": 2,
        "no_vacuum": True,
        "force": True,
        "stdout": out,
    }
    call_command("seed_bench", **{**defaults, **options})
    return out.getvalue()


def _tenants() -> list[Tenant]:
    return list(Tenant.objects.filter(slug__startswith="sb-").order_by("slug"))


def _counts(tenant) -> dict:
    with tenant_context(tenant):
        return {
            "customers": Customer.objects.count(),
            "tickets": Ticket.objects.count(),
            "comments": Comment.objects.count(),
            "events": TicketEvent.objects.count(),
        }


def _numbers(tenant) -> list[int]:
    with tenant_context(tenant):
        return list(Ticket.objects.order_by("number").values_list("number", flat=True))


def _new_ticket_number(tenant) -> int:
    with tenant_context(tenant):
        return services.ticket_create(
            tenant=tenant, actor=Actor(), subject="after seeding", customer_email="x@example.test"
        ).number


def _owner_client(api_client, tenant):
    return api_client(Membership.objects.get(tenant=tenant, role=Role.OWNER))


def test_seeds_each_tenant_with_its_users_customers_tickets_comments_and_history():
    _seed()

    tenants = _tenants()
    assert [t.slug for t in tenants] == ["sb-1", "sb-2"]
    for tenant in tenants:
        assert _counts(tenant) == {"customers": 10, "tickets": 20, "comments": 40, "events": 20}
        roles = sorted(Membership.objects.filter(tenant=tenant).values_list("role", flat=True))
        assert roles == [Role.AGENT, Role.AGENT, Role.OWNER]


def test_numbers_are_1_to_n_per_tenant_and_the_service_continues_at_n_plus_1():
    _seed()

    for tenant in _tenants():
        assert _numbers(tenant) == list(range(1, 21))
        assert _new_ticket_number(tenant) == 21


def test_every_row_is_inside_its_tenant_and_invisible_without_a_tenant_context():
    _seed()
    first, second = _tenants()

    for tenant in (first, second):
        with tenant_context(tenant), connection.cursor() as cursor:
            for table in SEEDED_TABLES:
                # No WHERE: RLS alone decides what this role sees.
                cursor.execute(f"SELECT DISTINCT tenant_id FROM {table}")  # noqa: S608
                assert cursor.fetchall() == [(tenant.pk,)], table
            # Composite tenant FKs: comments and history point at this tenant's tickets.
            assert Comment.objects.exclude(ticket__tenant_id=tenant.pk).count() == 0
            assert TicketEvent.objects.exclude(ticket__tenant_id=tenant.pk).count() == 0
            assert Ticket.objects.exclude(requester__tenant_id=tenant.pk).count() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        assert cursor.fetchone() == (0,)


def test_history_and_timestamps_are_consistent():
    _seed(tenants=1, comments_per_ticket=3)
    (tenant,) = _tenants()

    with tenant_context(tenant):
        events = set(TicketEvent.objects.values_list("field", "old_value", "new_value"))
        tickets = list(Ticket.objects.prefetch_related("comments"))
    comments = {t.number: sorted(t.comments.all(), key=lambda c: c.created_at) for t in tickets}
    team = {n: [c for c in cs if c.author_user_id is not None] for n, cs in comments.items()}
    answered = [t for t in tickets if t.first_response_at is not None]
    unanswered = [t for t in tickets if t.first_response_at is None]

    assert events == {("ticket", None, "created")}
    assert {len(cs) for cs in comments.values()} == {3}
    assert all(c.created_at >= t.created_at for t in tickets for c in comments[t.number])
    assert all(
        c.created_at <= t.closed_at for t in tickets if t.closed_at for c in comments[t.number]
    )
    # The first public team reply is what stopped the first-response clock.
    assert answered
    assert all(team[t.number][0].created_at == t.first_response_at for t in answered)
    assert all(team[t.number][0].public for t in answered)
    assert all(team[t.number] == [] for t in unanswered)


def test_the_api_lists_the_seeded_tickets_newest_first(api_client):
    _seed()
    first = _tenants()[0]

    response = _owner_client(api_client, first).get(
        f"/api/v1/t/{first.slug}/tickets/?page_size=100"
    )

    assert response.status_code == 200
    assert [t["number"] for t in response.data["results"]] == list(range(20, 0, -1))


def test_another_tenants_owner_cannot_list_them(api_client):
    _seed()
    first, second = _tenants()

    response = _owner_client(api_client, second).get(f"/api/v1/t/{first.slug}/tickets/")

    assert response.status_code == 404


def _text(ticket: Ticket) -> str:
    bodies = " ".join(c.body for c in ticket.comments.all())
    return f"{ticket.subject} {ticket.description} {bodies}".lower()


def test_search_finds_seeded_text_and_only_tickets_containing_it(api_client):
    _seed()
    first = _tenants()[0]
    with tenant_context(first):
        word = Ticket.objects.get(number=1).subject.split()[-1].lower()
        containing = {
            t.number for t in Ticket.objects.prefetch_related("comments") if word in _text(t)
        }

    response = _owner_client(api_client, first).get(
        f"/api/v1/t/{first.slug}/tickets/", {"search": word, "page_size": 100}
    )

    assert response.status_code == 200
    numbers = {t["number"] for t in response.data["results"]}
    assert 1 in numbers
    assert numbers <= containing


def test_refuses_existing_prefix_without_replace_and_changes_nothing():
    _seed()
    first, _ = _tenants()

    with pytest.raises(CommandError, match="exist already"):
        _seed(tickets_per_tenant=5)

    assert _counts(first)["tickets"] == 20


def test_skip_if_seeded_leaves_a_seeded_prefix_alone():
    _seed()
    first, _ = _tenants()

    out = _seed(skip_if_seeded=True)

    assert "already hold" in out
    assert _numbers(first) == list(range(1, 21))


def test_skip_if_seeded_still_refuses_a_smaller_seed():
    _seed(tickets_per_tenant=5)

    with pytest.raises(CommandError, match="exist already"):
        _seed(skip_if_seeded=True)


def test_replace_empties_and_reseeds_the_prefix_tenants():
    _seed()
    first, second = _tenants()
    _new_ticket_number(first)

    _seed(tickets_per_tenant=5, replace=True)

    assert _tenants() == [first, second]
    for tenant in (first, second):
        assert _counts(tenant) == {"customers": 10, "tickets": 5, "comments": 10, "events": 5}
        assert _new_ticket_number(tenant) == 6


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"tenants": 0}, id="no-tenants"),
        pytest.param({"tickets_per_tenant": 0}, id="no-tickets"),
        pytest.param({"agents": 0}, id="no-agents"),
        pytest.param({"comments_per_ticket": -1}, id="negative-comments"),
    ],
)
def test_rejects_nonsense_sizes(options):
    with pytest.raises(CommandError):
        _seed(**options)

    assert _tenants() == []


def test_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        _seed(force=False)

    assert _tenants() == []
