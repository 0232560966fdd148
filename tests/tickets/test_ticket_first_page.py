"""The ticket list's plain first page (no filter, no cursor) is read through a query compiled
once per process (selectors.ticket_page_first): it must answer exactly what the general path
answers, for every tenant."""

import pytest
from django.utils import timezone

from tenants.context import tenant_context
from tests.tickets.helpers import list_both_ways, make_ticket
from tests.tickets.recipes import customer_recipe, ticket_recipe
from tickets import selectors
from tickets.models import Ticket


@pytest.fixture
def client(api_client, agent):
    return api_client(agent)


def _tickets(tenant, count, *, tied=False, agent=None):
    made = [
        make_ticket(
            tenant,
            subject=f"T{i}",
            assignee=agent.user if agent is not None and i % 2 else None,
            tags=["a"],
        )
        for i in range(count)
    ]
    if tied:  # equal timestamps: the next link needs an offset among them
        with tenant_context(tenant):
            Ticket.objects.update(created_at=timezone.now())
    return made


@pytest.mark.parametrize(
    ("count", "size", "tied"),
    [(0, 5, False), (3, 5, False), (5, 5, False), (7, 5, False), (7, 3, True), (4, 1, True)],
    ids=["empty", "short", "exactly-full", "more", "ties", "size-one-ties"],
)
def test_the_first_page_answers_what_the_general_path_answers(
    tenant, client, agent, tickets_url, monkeypatch, count, size, tied
):
    _tickets(tenant, count, tied=tied, agent=agent)

    fast, general = list_both_ways(client, f"{tickets_url}?page_size={size}", monkeypatch)

    assert fast.status_code == general.status_code == 200
    assert fast.content == general.content
    assert fast.get("Link") == general.get("Link")
    assert len(fast.json()["results"]) == min(count, size)


def test_the_default_page_and_the_largest_answer_alike(tenant, client, tickets_url, monkeypatch):
    with tenant_context(tenant):
        requester = customer_recipe.make(tenant=tenant)
        ticket_recipe.make(tenant=tenant, requester=requester, _quantity=27)

    for url in (tickets_url, f"{tickets_url}?page_size=500"):
        fast, general = list_both_ways(client, url, monkeypatch)
        assert fast.content == general.content


def test_walking_from_the_first_page_lists_every_ticket_once_in_order(tenant, client, tickets_url):
    _tickets(tenant, 9, tied=True)
    with tenant_context(tenant):
        expected = list(
            Ticket.objects.order_by("-created_at", "-id").values_list("number", flat=True)
        )

    seen, url = [], f"{tickets_url}?page_size=4"
    while url:
        body = client.get(url).json()
        seen += [ticket["number"] for ticket in body["results"]]
        url = body["next"]

    assert seen == expected


def test_each_tenant_gets_its_own_first_page(tenant, other_tenant, member, api_client):
    _tickets(tenant, 2)
    _tickets(other_tenant, 3)
    ours = api_client(member("agent"))
    theirs = api_client(member("agent", tenant=other_tenant))

    for _ in range(2):  # in turn, through the one compiled query
        mine = ours.get(f"/api/v1/t/{tenant.slug}/tickets/").json()["results"]
        other = theirs.get(f"/api/v1/t/{other_tenant.slug}/tickets/").json()["results"]
        assert [t["subject"] for t in mine] == ["T1", "T0"]
        assert [t["subject"] for t in other] == ["T2", "T1", "T0"]


def test_a_filtered_or_ordered_list_takes_the_general_path(
    tenant, client, tickets_url, monkeypatch
):
    _tickets(tenant, 3)
    calls = []
    monkeypatch.setattr(selectors, "ticket_page_first", lambda **kw: calls.append(kw) or [])

    for query in ("status=open", "ordering=number", "cursor=x", "include=count"):
        client.get(f"{tickets_url}?{query}")
    assert calls == []
    assert client.get(tickets_url).json()["results"] == []  # the first-page path, stubbed
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("ordering", "size"),
    [(("number",), 5), (("-created_at", "-id"), 0), (("-created_at", "-id"), 102)],
    ids=["other-ordering", "size-0", "size-102"],
)
def test_ticket_page_first_compiles_only_the_lists_own_pages(tenant, ordering, size):
    with tenant_context(tenant), pytest.raises(ValueError):
        selectors.ticket_page_first(tenant=tenant, ordering=ordering, size=size)
