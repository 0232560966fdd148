"""Ticket list filters (DESIGN.md §5), ordering whitelist and cursor pagination."""

from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from tenants.context import tenant_context
from tenants.models import Role
from tests.errors import field_errors
from tests.tickets.recipes import customer_recipe, ticket_recipe


def _at(month: int) -> datetime:
    return datetime(2024, month, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(tenant, other_tenant, member, api_client):
    """Four tickets in the tenant (and one in another) with every filterable attribute set.

    a: open, high, assigned to `someone`, requester c1, tags billing+vip, email, Jan
    b: pending, low, unassigned, requester c2, tag bug, web, breached + escalated, Feb
    c: resolved, critical, assigned to `me`, requester c1, no tags, api, Mar
    d: open, critical, unassigned (urgent), requester c2, phone, Apr
    """
    me = member(Role.AGENT)
    someone = member(Role.AGENT)
    stranger = member(Role.AGENT, tenant=other_tenant)
    with tenant_context(tenant):
        c1 = customer_recipe.make(tenant=tenant)
        c2 = customer_recipe.make(tenant=tenant)
        common = {"tenant": tenant}
        ticket_recipe.make(
            **common,
            subject="a",
            status="open",
            priority="high",
            assignee=someone.user,
            requester=c1,
            tags=["billing", "vip"],
            category="billing",
            channel="email",
            created_at=_at(1),
        )
        ticket_recipe.make(
            **common,
            subject="b",
            status="pending",
            priority="low",
            requester=c2,
            tags=["bug"],
            category="tech",
            channel="web",
            sla_breached=True,
            escalated=True,
            escalation_level=1,
            created_at=_at(2),
        )
        ticket_recipe.make(
            **common,
            subject="c",
            status="resolved",
            priority="critical",
            assignee=me.user,
            requester=c1,
            channel="api",
            created_at=_at(3),
        )
        ticket_recipe.make(
            **common,
            subject="d",
            status="open",
            priority="critical",
            requester=c2,
            channel="phone",
            created_at=_at(4),
        )
    with tenant_context(other_tenant):
        foreign_customer = customer_recipe.make(tenant=other_tenant)
        ticket_recipe.make(
            tenant=other_tenant,
            subject="x",
            status="open",
            priority="critical",
            assignee=stranger.user,
            requester=foreign_customer,
            tags=["billing"],
            category="billing",
            channel="email",
            created_at=_at(2),
        )
    return SimpleNamespace(
        tenant=tenant,
        client=api_client(me),
        ids={
            "me": str(me.user.public_id),
            "someone": str(someone.user.public_id),
            "stranger": str(stranger.user.public_id),
            "c1": str(c1.public_id),
            "c2": str(c2.public_id),
            "foreign_customer": str(foreign_customer.public_id),
        },
    )


def _list(world, query: str, client=None):
    query = query.format(**world.ids)
    url = f"/api/v1/t/{world.tenant.slug}/tickets/?page_size=100&{query}"
    return (client or world.client).get(url)


def _subjects(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [t["subject"] for t in response.json()["results"]]


FILTERS = [
    ("status", "status=open", "ad"),
    ("status-several", "status=open&status=pending", "abd"),
    ("status-none-match", "status=closed", ""),
    ("priority", "priority=critical", "cd"),
    ("priority-several", "priority=low&priority=high", "ab"),
    ("priority-none-match", "priority=medium", ""),
    ("assignee-id", "assignee={someone}", "a"),
    ("assignee-me", "assignee=me", "c"),
    ("assignee-none", "assignee=none", "bd"),
    ("assignee-unknown-id", "assignee=00000000-0000-4000-8000-000000000000", ""),
    ("assignee-other-tenant", "assignee={stranger}", ""),
    ("requester", "requester={c1}", "ac"),
    ("requester-other", "requester={c2}", "bd"),
    ("requester-other-tenant", "requester={foreign_customer}", ""),
    ("tag", "tag=billing", "a"),
    ("tag-any-case", "tag=VIP", "a"),
    ("tag-none-match", "tag=refund", ""),
    ("category", "category=tech", "b"),
    ("category-none-match", "category=shipping", ""),
    ("channel", "channel=email", "a"),
    ("channel-several", "channel=web&channel=phone", "bd"),
    ("channel-none-match", "channel=email&status=pending", ""),
    ("urgent-true", "urgent=true", "d"),
    ("urgent-false", "urgent=false", "abc"),
    ("breached-true", "breached=true", "b"),
    ("breached-false", "breached=false", "acd"),
    ("escalated-true", "escalated=true", "b"),
    ("escalated-false", "escalated=false", "acd"),
    ("created-after", "created_after=2024-02-01T12:00:00Z", "bcd"),
    ("created-before", "created_before=2024-02-01T12:00:00Z", "a"),
    ("created-range", "created_after=2024-02-01T00:00:00Z&created_before=2024-04-01T00:00:00Z",
     "bc"),
    ("created-after-all", "created_after=2025-01-01T00:00:00Z", ""),
    ("created-after-offset-15h59", "created_after=2024-04-01T15:59:00%2B15:59", "d"),
    ("combined", "status=open&priority=critical", "d"),
    ("no-filter", "", "abcd"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "expected"), [pytest.param(q, e, id=i) for i, q, e in FILTERS])
def test_ticket_filter(world, query, expected):
    response = _list(world, query)

    assert sorted(_subjects(response)) == list(expected)


BAD_FILTERS = [
    ("status-unknown", "status=stuck", "status"),
    ("priority-unknown", "priority=urgent", "priority"),
    ("channel-unknown", "channel=fax", "channel"),
    ("assignee-malformed", "assignee=bob", "assignee"),
    ("assignee-too-long", "assignee=" + "a" * 37, "assignee"),
    ("requester-malformed", "requester=bob", "requester"),
    ("requester-number", "requester=42", "requester"),
    ("tag-too-long", "tag=" + "a" * 51, "tag"),
    ("category-too-long", "category=" + "a" * 65, "category"),
    ("created-after-malformed", "created_after=yesterday", "created_after"),
    ("created-before-malformed", "created_before=2024-13-45", "created_before"),
    ("urgent-malformed", "urgent=maybe", "urgent"),
    ("breached-malformed", "breached=sometimes", "breached"),
    ("escalated-malformed", "escalated=2", "escalated"),
    # Times PostgreSQL cannot store (the test client re-raises a 500).
    ("created-after-year-0-in-utc", "created_after=0001-01-01T00:00:00%2B14:00", "created_after"),
    ("created-before-year-10000", "created_before=9999-12-31T23:59:59-15:00", "created_before"),
    ("created-after-offset-20h", "created_after=2024-01-01T00:00:00%2B20:00", "created_after"),
    ("created-before-offset-minus-16h", "created_before=2024-01-01T00:00:00-16:00",
     "created_before"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "field"), [pytest.param(q, f, id=i) for i, q, f in BAD_FILTERS])
def test_malformed_filter_value_is_400_naming_it(world, query, field):
    response = _list(world, query)

    assert response.status_code == 400
    assert field in field_errors(response)


def test_assignee_me_for_an_api_key_matches_nothing(world, api_key_client):
    client, _ = api_key_client(world.tenant, "agent")

    response = _list(world, "assignee=me", client=client)

    assert _subjects(response) == []


def test_filtersets_built_one_after_another_keep_their_own_caller_and_values(world, tenant):
    """The filters of a FilterSet are shallow copies of the class's (tickets.filters): each
    set's method filters answer to their own set (its user), and a form never keeps another
    request's values."""
    from django.http import QueryDict

    from tenants.models import User
    from tickets.filters import TicketFilter
    from tickets.models import Ticket

    me = User.objects.get(public_id=world.ids["me"])
    someone = User.objects.get(public_id=world.ids["someone"])
    with tenant_context(tenant):
        tickets = Ticket.objects.filter(tenant=tenant)
        mine = TicketFilter(data={"assignee": "me"}, queryset=tickets, tenant=tenant, user=me)
        theirs = TicketFilter(
            data=QueryDict("assignee=me&status=open&status=pending"),
            queryset=tickets,
            tenant=tenant,
            user=someone,
        )
        bad = TicketFilter(data={"status": "nope"}, queryset=tickets, tenant=tenant, user=me)
        # Evaluated after the next set was built: a filter bound to the last set would answer
        # for `someone` here.
        assert sorted(t.subject for t in mine.qs) == ["c"]
        assert sorted(t.subject for t in theirs.qs) == ["a"]
        assert not bad.is_valid() and set(bad.errors) == {"status"}
        assert mine.is_valid() and theirs.is_valid()
        assert mine.form.cleaned_data["status"] == []
        assert theirs.form.cleaned_data["status"] == ["open", "pending"]
        assert mine.filters["assignee"] is not theirs.filters["assignee"]
        assert TicketFilter.base_filters["assignee"] is not mine.filters["assignee"]
        assert mine.filters["status"].extra is not TicketFilter.base_filters["status"].extra


def test_a_filterset_is_set_up_as_django_filters_own_init_sets_it_up(tenant):
    """TenantFilterSet re-implements django-filter's __init__ (shallow copies): it must leave
    the same attributes, so an upstream change shows here."""
    import django_filters
    from django.http import QueryDict

    from tickets.filters import TicketFilter
    from tickets.models import Ticket

    data = QueryDict("status=open")
    with tenant_context(tenant):
        ours = TicketFilter(data=data, queryset=Ticket.objects.all(), tenant=tenant, user=None)
        theirs = TicketFilter.__new__(TicketFilter)
        django_filters.FilterSet.__init__(theirs, data, Ticket.objects.all())

    assert set(vars(ours)) - {"tenant", "user"} == set(vars(theirs))
    assert list(ours.filters) == list(theirs.filters)
    for name, filter_ in ours.filters.items():
        assert filter_.parent is ours and filter_.model is Ticket
        assert vars(filter_).keys() == vars(theirs.filters[name]).keys(), name


def test_a_filter_whose_field_depends_on_the_request_is_refused(tenant):
    """The forms of a TenantFilterSet share one set of fields: a per-request queryset (django-
    filter's QuerySetRequestMixin) or a multi-value field would carry one request's choices or
    values into the next."""
    import django_filters

    from tenants.models import User
    from tickets.filters import TenantFilterSet
    from tickets.models import Ticket

    class ByMember(TenantFilterSet):
        member = django_filters.ModelChoiceFilter(
            field_name="assignee", queryset=lambda request: User.objects.none()
        )

        class Meta:
            model = Ticket
            fields = ["member"]

    class ByDates(TenantFilterSet):
        made = django_filters.DateFromToRangeFilter(field_name="created_at")

        class Meta:
            model = Ticket
            fields = ["made"]

    for filterset_class, name in ((ByMember, "member"), (ByDates, "made")):
        with tenant_context(tenant):
            filterset = filterset_class(
                data={}, queryset=Ticket.objects.all(), tenant=tenant, user=None
            )
            with pytest.raises(TypeError, match=f"{filterset_class.__name__}.{name}"):
                filterset.form  # noqa: B018 (building the form is what is refused)


# --- Ordering ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        pytest.param("", "dcba", id="default-newest-first"),
        pytest.param("ordering=number", "abcd", id="number"),
        pytest.param("ordering=-number", "dcba", id="minus-number"),
        pytest.param("ordering=created_at", "abcd", id="created_at"),
        pytest.param("ordering=-created_at", "dcba", id="minus-created_at"),
        pytest.param("ordering=updated_at", "abcd", id="updated_at"),
        pytest.param("ordering=-updated_at,number", "dcba", id="two-fields"),
    ],
)
def test_ordering_whitelist(world, ordering, expected):
    response = _list(world, ordering)

    assert "".join(_subjects(response)) == expected


@pytest.mark.parametrize(
    "ordering",
    [
        pytest.param("requester__email", id="related-field"),
        pytest.param("subject", id="unlisted-field"),
        pytest.param("-id", id="hidden-id"),
        pytest.param("bogus,number", id="one-bogus-part"),
        pytest.param("number,", id="trailing-comma"),
    ],
)
def test_an_ordering_outside_the_whitelist_is_400_not_ignored(world, ordering):
    response = _list(world, f"ordering={ordering}")

    assert list(field_errors(response)) == ["ordering"]


# --- Cursor pagination ------------------------------------------------------------------------


def _walk(client, url: str) -> list[int]:
    numbers: list[int] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        numbers += [t["number"] for t in body["results"]]
        url = body["next"]
        pages += 1
        assert pages < 50, "pagination does not end"
    return numbers


@pytest.fixture
def tied(tenant, member, api_client):
    """Seven tickets, five of them created at the very same instant."""
    with tenant_context(tenant):
        customer = customer_recipe.make(tenant=tenant)
        tickets = [
            ticket_recipe.make(tenant=tenant, requester=customer, created_at=at)
            for at in [_at(1), _at(2), _at(2), _at(2), _at(2), _at(2), _at(3)]
        ]
    return SimpleNamespace(
        tenant=tenant,
        client=api_client(member(Role.AGENT)),
        numbers=sorted(t.number for t in tickets),
    )


@pytest.mark.parametrize(
    "ordering",
    ["", "number", "-number", "created_at", "-created_at", "updated_at", "-updated_at"],
    ids=lambda o: o or "default",
)
def test_page_size_1_walks_every_ticket_once_despite_ties(tied, ordering):
    url = f"/api/v1/t/{tied.tenant.slug}/tickets/?page_size=1&ordering={quote(ordering)}"

    numbers = _walk(tied.client, url)

    assert sorted(numbers) == tied.numbers
    assert len(numbers) == len(set(numbers))


def test_walking_back_with_previous_returns_the_same_tickets(tied):
    url = f"/api/v1/t/{tied.tenant.slug}/tickets/?page_size=2"
    forward, pages = [], []
    while url:
        body = tied.client.get(url).json()
        pages.append(body)
        forward += [t["number"] for t in body["results"]]
        url = body["next"]

    backward: list[int] = []
    url = pages[-1]["previous"]
    while url:
        body = tied.client.get(url).json()
        backward = [t["number"] for t in body["results"]] + backward
        url = body["previous"]

    assert sorted(forward) == tied.numbers
    assert backward + [t["number"] for t in pages[-1]["results"]] == forward


def test_page_size_is_capped_at_100(tenant, member, api_client):
    with tenant_context(tenant):
        customer = customer_recipe.make(tenant=tenant)
        ticket_recipe.make(tenant=tenant, requester=customer, _quantity=101)
    client = api_client(member(Role.AGENT))

    response = client.get(f"/api/v1/t/{tenant.slug}/tickets/?page_size=1000")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 100
    assert response.json()["next"] is not None


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("cursor=garbage", id="not-base64"),
        pytest.param("cursor=cD1ub3QtYS1kYXRl", id="position-not-a-date"),  # p=not-a-date
        pytest.param("cursor=bz0tNQ==", id="negative-offset"),  # o=-5
        pytest.param("ordering=number&cursor=cD1hYmM=", id="position-not-a-number"),  # p=abc
        pytest.param("ordering=-updated_at&cursor=cD1hYmM=", id="position-not-a-time"),
    ],
)
def test_tampered_cursor_is_400_invalid_cursor(tied, query):
    response = tied.client.get(f"/api/v1/t/{tied.tenant.slug}/tickets/?{query}")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid cursor", "code": "invalid_cursor"}


def test_cursor_position_beyond_any_number_is_an_invalid_cursor(tied):
    cursor = "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ=="  # p=99999999999999999999999 (past bigint)
    url = f"/api/v1/t/{tied.tenant.slug}/tickets/?ordering=number&cursor={cursor}"

    response = tied.client.get(url)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"
