"""Full-text ticket search through the ticket list's `search` filter, and the search documents
kept in sync with tickets, comments, merges and erasures (docs/search.md)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from model_bakery import seq

from tenants.access import Actor
from tenants.context import tenant_context
from tests.errors import field_errors
from tests.tickets.recipes import customer_recipe, ticket_recipe
from tests.tickets.search.helpers import found, make_comment, make_ticket, search
from tickets import selectors, services
from tickets.filters import TicketFilter
from tickets.models import Status

# --- The API filter ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["subject", "description", "comment"])
def test_search_finds_a_word_wherever_the_ticket_holds_it(tenant, client, where):
    ticket = make_ticket(
        tenant,
        "kerberos outage" if where == "subject" else "Login trouble",
        "kerberos ticket expired" if where == "description" else "Cannot sign in",
    )
    make_comment(tenant, ticket, "kerberos again" if where == "comment" else "Looking into it")
    make_ticket(tenant, "Printer jam", "Paper everywhere")

    assert search(client, tenant, "kerberos") == [ticket.subject]


def test_search_without_a_match_lists_nothing(tenant, client):
    make_ticket(tenant, "Printer jam", "Paper everywhere")

    assert search(client, tenant, "kerberos") == []


def test_search_lists_the_best_match_first_not_the_newest(tenant, client):
    # Created oldest to newest: the default order would list them the other way round.
    make_ticket(tenant, "kerberos in the subject", "One")
    make_ticket(tenant, "Two", "kerberos in the description")
    in_comment = make_ticket(tenant, "Three", "No match here")
    make_comment(tenant, in_comment, "kerberos in a comment")

    assert search(client, tenant, "kerberos") == [
        "kerberos in the subject",
        "Two",
        "Three",
    ]


def test_an_explicit_ordering_wins_over_the_rank(tenant, client):
    make_ticket(tenant, "kerberos in the subject", "One")
    make_ticket(tenant, "Two", "kerberos in the description")
    make_ticket(tenant, "Unrelated", "Nothing")

    assert search(client, tenant, "kerberos", ordering="-number") == [
        "Two",
        "kerberos in the subject",
    ]


def test_search_combines_with_the_other_filters(tenant, client):
    make_ticket(tenant, "kerberos open")
    closed = make_ticket(tenant, "kerberos closed")
    make_ticket(tenant, "printer closed")
    with tenant_context(tenant):
        services.ticket_update(tenant=tenant, actor=Actor(), ticket=closed, status=Status.CLOSED)

    assert search(client, tenant, "kerberos", status="closed") == ["kerberos closed"]


def test_search_pages_walk_every_match_once_in_rank_order(tenant, client):
    make_ticket(tenant, "kerberos kerberos kerberos")
    make_ticket(tenant, "Two", "kerberos")
    third = make_ticket(tenant, "Three")
    make_comment(tenant, third, "kerberos")
    url = f"/api/v1/t/{tenant.slug}/tickets/?search=kerberos&page_size=1"
    subjects = []
    while url:
        body = client.get(url).json()
        subjects += [ticket["subject"] for ticket in body["results"]]
        url = body["next"]

    assert subjects == ["kerberos kerberos kerberos", "Two", "Three"]


def _queries_for_search(client, tenant) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert search(client, tenant, "kerberos")
    return len(queries)


def test_searching_costs_the_same_queries_for_1_and_30_matches(tenant, client):
    make_ticket(tenant, "kerberos first")
    one = _queries_for_search(client, tenant)
    for n in range(29):
        make_comment(tenant, make_ticket(tenant, f"Ticket {n}"), "kerberos")

    assert _queries_for_search(client, tenant) == one


@pytest.mark.parametrize(
    "query",
    [
        "'&|!(",
        '"unterminated phrase',
        "-",
        "!!",
        "a:* <-> b",
        "' OR 1=1 --",
        "%_\\",
        "ünïcødé 😀",
        "or",
    ],
    ids=[
        "operators",
        "open-quote",
        "lone-minus",
        "bangs",
        "tsquery-syntax",
        "sql-ish",
        "like-wildcards",
        "unicode",
        "only-or",
    ],
)
def test_malformed_search_is_200_without_crash(tenant, client, query):
    make_ticket(tenant, "kerberos outage")

    assert search(client, tenant, query) == []


def test_blank_search_is_ignored(tenant, client):
    make_ticket(tenant, "kerberos outage")

    assert search(client, tenant, "   ") == ["kerberos outage"]


@pytest.mark.parametrize(
    "query", ["x" * 201, "kerberos\x00"], ids=["longer-than-200", "nul-character"]
)
def test_unsearchable_input_is_400_naming_search(tenant, client, query):
    make_ticket(tenant, "kerberos outage")

    response = client.get(f"/api/v1/t/{tenant.slug}/tickets/", {"search": query})

    assert response.status_code == 400, response.content
    assert "search" in field_errors(response)


def test_the_filter_works_without_a_request_tenant(tenant):
    # Background jobs (exports) run the ticket FilterSet without any request.
    ticket = make_ticket(tenant, "kerberos outage")
    make_ticket(tenant, "Printer jam")
    with tenant_context(tenant):
        filterset = TicketFilter(
            data={"search": "kerberos"},
            queryset=selectors.ticket_list(tenant=tenant),
            tenant=tenant,
            user=None,
        )
        found = [t.pk for t in filterset.qs]

    assert found == [ticket.pk]


# --- Keeping the documents in sync ------------------------------------------------------------


def test_subject_and_description_changes_are_searchable_at_once(tenant):
    ticket = make_ticket(tenant, "kerberos outage", "token expired")
    with tenant_context(tenant):
        services.ticket_update(
            tenant=tenant, actor=Actor(), ticket=ticket, subject="Login broken", description="sso"
        )

    assert (found(tenant, "login sso"), found(tenant, "kerberos"), found(tenant, "token")) == (
        [ticket.pk],
        [],
        [],
    )


def test_a_new_comment_is_searchable_at_once(tenant):
    ticket = make_ticket(tenant, "Login broken")
    assert found(tenant, "kerberos") == []

    make_comment(tenant, ticket, "It was kerberos all along", public=False)

    assert found(tenant, "kerberos") == [ticket.pk]


def test_a_deleted_ticket_disappears_from_search(tenant):
    ticket = make_ticket(tenant, "kerberos outage")
    make_comment(tenant, ticket, "kerberos again")
    kept = make_ticket(tenant, "kerberos twice")
    with tenant_context(tenant):
        services.ticket_delete(tenant=tenant, actor=Actor(), ticket=ticket)

    assert found(tenant, "kerberos") == [kept.pk]


def test_merged_comments_are_found_on_the_target_only(tenant):
    source = make_ticket(tenant, "Source")
    target = make_ticket(tenant, "Target")
    make_comment(tenant, source, "kerberos")
    with tenant_context(tenant):
        services.ticket_merge(tenant=tenant, actor=Actor(), ticket=source, into=target)

    assert found(tenant, "kerberos") == [target.pk]


def test_erased_customer_data_is_no_longer_searchable(tenant):
    ticket = make_ticket(tenant, "Jane Roe cannot log in", "Call Jane", customer_email="j@x.test")
    with tenant_context(tenant):
        make_comment(tenant, ticket, "Jane here again", author_customer=ticket.requester)
        services.customer_erase(tenant=tenant, actor=Actor(), customer=ticket.requester)

    assert found(tenant, "jane") == []
    assert found(tenant, "erased") == [ticket.pk]


# --- Exact: a search and the other filters select the same rows, whatever the number of matches


@pytest.fixture
def common_word_rare_status(tenant):
    """1,100 open tickets with `printer` in the subject, then (newer, so ranked last on equal
    text) 3 closed ones with it in the description only (ranked below every subject match)
    and a closed one without it. Only 1,000 of the 1,103 matches made the old cap."""
    with tenant_context(tenant):
        customer = customer_recipe.make(tenant=tenant)
        ticket_recipe.make(
            tenant=tenant,
            requester=customer,
            subject="printer jam",
            number=seq(1),
            _quantity=1100,
            _bulk_create=True,
        )
        rare = [
            ticket_recipe.make(
                tenant=tenant,
                requester=customer,
                number=2000 + n,
                subject=f"Closed {n}",
                description="printer " * (n + 1),
                status=Status.CLOSED,
            )
            for n in range(3)
        ]
        ticket_recipe.make(
            tenant=tenant, requester=customer, number=3000, subject="No match", status=Status.CLOSED
        )
    return rare


def test_a_rare_status_with_a_common_word_lists_every_match_ranked(
    tenant, client, common_word_rare_status
):
    assert search(client, tenant, "printer", status="closed") == [
        "Closed 2",  # the description says it three times
        "Closed 1",
        "Closed 0",
    ]


def test_every_match_is_listed_beyond_a_thousand(tenant, client, common_word_rare_status):
    url = f"/api/v1/t/{tenant.slug}/tickets/?search=printer&page_size=100"
    subjects = []
    while url:
        body = client.get(url).json()
        subjects += [ticket["subject"] for ticket in body["results"]]
        url = body["next"]

    assert len(subjects) == 1103
    assert subjects[:2] == ["printer jam", "printer jam"]
    assert subjects[-3:] == ["Closed 2", "Closed 1", "Closed 0"]


def test_the_filter_set_runs_no_query_until_the_list_is_read(tenant):
    with tenant_context(tenant), CaptureQueriesContext(connection) as queries:
        selectors.ticket_list_filtered(
            tenant=tenant, user=None, filters={"search": "printer", "status": ["closed"]}
        )

    assert len(queries) == 0


def test_a_searched_list_counts_and_nests_as_a_subquery(tenant):
    kept = make_ticket(tenant, "kerberos open")
    closed = make_ticket(tenant, "kerberos closed")
    make_ticket(tenant, "printer open")
    with tenant_context(tenant):
        services.ticket_update(tenant=tenant, actor=Actor(), ticket=closed, status=Status.CLOSED)
        searched = selectors.ticket_list_filtered(
            tenant=tenant, user=None, filters={"search": "kerberos", "status": ["open"]}
        )
        count = searched.count()
        # Used inside another query, the join is relabeled with the subquery's aliases.
        nested = list(
            selectors.ticket_list(tenant=tenant)
            .filter(pk__in=searched.values("pk"))
            .values_list("pk", flat=True)
        )

    assert (count, nested) == (1, [kept.pk])
