"""A search's first page with no other filter reads the search function's best n matches
(selectors.ticket_search_first: a top-n) instead of joining every match numbered: it must
answer exactly what the general path answers, and its next page must go on from it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import mixins

from tests.tickets.helpers import list_both_ways
from tests.tickets.search.helpers import make_comment, make_ticket
from tickets import selectors
from tickets.api.views import TicketViewSet


@pytest.fixture
def client(api_client, agent):
    return api_client(agent)


def _matches(tenant):
    """Seven tickets matching `kerberos` with different ranks, and two ties of equal rank
    (the ticket id breaks them), and one that does not match."""
    make_ticket(tenant, "kerberos kerberos kerberos", "kerberos")
    make_ticket(tenant, "kerberos", "kerberos kerberos")
    for n in range(3):
        make_ticket(tenant, f"Tie {n}", "kerberos")
    make_comment(tenant, make_ticket(tenant, "Comment only"), "kerberos")
    make_ticket(tenant, "kerberos login fails")
    make_ticket(tenant, "Printer jam")


@pytest.mark.parametrize("size", [1, 2, 5, 7, 20, None])
def test_the_first_page_answers_what_the_general_path_answers(
    tenant, client, tickets_url, monkeypatch, size
):
    _matches(tenant)
    url = f"{tickets_url}?search=kerberos" + (f"&page_size={size}" if size else "")

    fast, general = list_both_ways(client, url, monkeypatch)

    assert fast.status_code == general.status_code == 200
    assert fast.content == general.content
    assert fast.get("Link") == general.get("Link")
    assert len(fast.json()["results"]) == min(7, size or 25)


def test_walking_from_the_first_page_lists_every_match_once_in_rank_order(
    tenant, client, tickets_url, monkeypatch
):
    _matches(tenant)
    with monkeypatch.context() as patch:
        patch.setattr(TicketViewSet, "list", mixins.ListModelMixin.list)
        everything = client.get(f"{tickets_url}?search=kerberos&page_size=50").json()["results"]

    seen, url = [], f"{tickets_url}?search=kerberos&page_size=3"
    while url:
        body = client.get(url).json()
        seen += [ticket["number"] for ticket in body["results"]]
        url = body["next"]

    assert seen == [ticket["number"] for ticket in everything]
    assert len(seen) == 7


def test_the_first_page_reads_the_best_matches_not_every_match(tenant, client, tickets_url):
    _matches(tenant)

    with CaptureQueriesContext(connection) as first:
        cursor = client.get(f"{tickets_url}?search=kerberos&page_size=2").json()["next"]
    first_sql = [q["sql"] for q in first.captured_queries]  # read before the next request
    with CaptureQueriesContext(connection) as second:
        client.get(cursor)
    second_sql = [q["sql"] for q in second.captured_queries]

    assert any("FROM tickets_search(" in sql for sql in first_sql), first_sql
    assert not any("tickets_search_positions" in sql for sql in first_sql), first_sql
    # Later pages: the general path.
    assert any("tickets_search_positions" in sql for sql in second_sql), second_sql


@pytest.mark.parametrize(
    "query", ["search=kerberos&status=open", "search=kerberos&ordering=number", "search=++"]
)
def test_another_filter_an_ordering_or_a_blank_search_takes_the_general_path(
    tenant, client, tickets_url, monkeypatch, query
):
    _matches(tenant)
    calls = []
    monkeypatch.setattr(selectors, "ticket_search_first", lambda **kw: calls.append(kw) or [])

    response = client.get(f"{tickets_url}?{query}")

    assert response.status_code == 200
    assert calls == []


def test_a_refused_search_is_the_general_paths_400(tenant, client, tickets_url, monkeypatch):
    fast, general = list_both_ways(client, f"{tickets_url}?search={'x' * 201}", monkeypatch)

    assert fast.status_code == general.status_code == 400
    assert fast.content == general.content


def test_a_match_gone_between_the_two_reads_sends_the_page_the_general_way(
    tenant, client, tickets_url, monkeypatch
):
    _matches(tenant)
    real = selectors.ticket_search_ids
    # The search function named a ticket the second read no longer finds (deleted meanwhile).
    monkeypatch.setattr(selectors, "ticket_search_ids", lambda **kw: [*real(**kw)[:-1], 10**12])

    fast, general = list_both_ways(
        client, f"{tickets_url}?search=kerberos&page_size=3", monkeypatch
    )

    assert fast.content == general.content
    assert len(fast.json()["results"]) == 3
