"""Full-text ticket search: the side table outside RLS, its definer functions, the API filter.

docs/search.md has the design and the measured plans; these tests pin what makes it safe
(tenant from the transaction, no privilege on the side table) and fast (the GIN index).
"""

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import ProgrammingError, connection, connections
from django.test.utils import CaptureQueriesContext

from tenants.access import Actor
from tenants.context import TenantContextMissing, tenant_context
from tenants.db import grant_runtime_role
from tenants.models import Role
from tests.errors import field_errors
from tests.tenants.recipes import tenant_recipe
from tests.tickets.helpers import make_ticket
from tests.tickets.recipes import customer_recipe, ticket_recipe
from tickets import selectors, services
from tickets.api.filters import TicketFilter
from tickets.models import Status
from tickets.search import ticket_search_ids

SIDE_TABLE = "tickets_ticketsearch"
GIN_INDEX = "tickets_ticketsearch_document_gin"


def _rows(sql, params=None, using="default"):
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _run(sql, params=None, using="default") -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params or [])


def _comment(tenant, ticket, body, **fields):
    with tenant_context(tenant):
        return services.comment_create(
            tenant=tenant, actor=Actor(), ticket=ticket, body=body, **fields
        )


def _found(tenant, query, limit=100) -> list[int]:
    with tenant_context(tenant):
        return ticket_search_ids(query=query, limit=limit)


@pytest.fixture
def client(member, api_client):
    return api_client(member(Role.AGENT))


def _search(client, tenant, query, **params):
    response = client.get(
        f"/api/v1/t/{tenant.slug}/tickets/", {"search": query, **params}, format="json"
    )
    assert response.status_code == 200, response.content
    return [ticket["subject"] for ticket in response.json()["results"]]


# --- The API filter ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["subject", "description", "comment"])
def test_search_finds_a_word_wherever_the_ticket_holds_it(tenant, client, where):
    ticket = make_ticket(
        tenant,
        subject="kerberos outage" if where == "subject" else "Login trouble",
        description="kerberos ticket expired" if where == "description" else "Cannot sign in",
    )
    _comment(tenant, ticket, "kerberos again" if where == "comment" else "Looking into it")
    make_ticket(tenant, subject="Printer jam", description="Paper everywhere")

    assert _search(client, tenant, "kerberos") == [ticket.subject]


def test_search_without_a_match_lists_nothing(tenant, client):
    make_ticket(tenant, subject="Printer jam", description="Paper everywhere")

    assert _search(client, tenant, "kerberos") == []


def test_search_lists_the_best_match_first_not_the_newest(tenant, client):
    # Created oldest to newest: the default order would list them the other way round.
    make_ticket(tenant, subject="kerberos in the subject", description="One")
    make_ticket(tenant, subject="Two", description="kerberos in the description")
    in_comment = make_ticket(tenant, subject="Three", description="No match here")
    _comment(tenant, in_comment, "kerberos in a comment")

    assert _search(client, tenant, "kerberos") == [
        "kerberos in the subject",
        "Two",
        "Three",
    ]


def test_an_explicit_ordering_wins_over_the_rank(tenant, client):
    make_ticket(tenant, subject="kerberos in the subject", description="One")
    make_ticket(tenant, subject="Two", description="kerberos in the description")
    make_ticket(tenant, subject="Unrelated", description="Nothing")

    assert _search(client, tenant, "kerberos", ordering="-number") == [
        "Two",
        "kerberos in the subject",
    ]


def test_search_combines_with_the_other_filters(tenant, client):
    make_ticket(tenant, subject="kerberos open")
    closed = make_ticket(tenant, subject="kerberos closed")
    make_ticket(tenant, subject="printer closed")
    with tenant_context(tenant):
        services.ticket_update(tenant=tenant, actor=Actor(), ticket=closed, status=Status.CLOSED)

    assert _search(client, tenant, "kerberos", status="closed") == ["kerberos closed"]


def test_search_pages_walk_every_match_once_in_rank_order(tenant, client):
    make_ticket(tenant, subject="kerberos kerberos kerberos")
    make_ticket(tenant, subject="Two", description="kerberos")
    third = make_ticket(tenant, subject="Three")
    _comment(tenant, third, "kerberos")
    url = f"/api/v1/t/{tenant.slug}/tickets/?search=kerberos&page_size=1"
    subjects = []
    while url:
        body = client.get(url).json()
        subjects += [ticket["subject"] for ticket in body["results"]]
        url = body["next"]

    assert subjects == ["kerberos kerberos kerberos", "Two", "Three"]


def _queries_for_search(client, tenant) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert _search(client, tenant, "kerberos")
    return len(queries)


def test_searching_costs_the_same_queries_for_1_and_30_matches(tenant, client):
    make_ticket(tenant, subject="kerberos first")
    one = _queries_for_search(client, tenant)
    for n in range(29):
        _comment(tenant, make_ticket(tenant, subject=f"Ticket {n}"), "kerberos")

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
    make_ticket(tenant, subject="kerberos outage")

    assert _search(client, tenant, query) == []


def test_blank_search_is_ignored(tenant, client):
    make_ticket(tenant, subject="kerberos outage")

    assert _search(client, tenant, "   ") == ["kerberos outage"]


@pytest.mark.parametrize(
    "query", ["x" * 201, "kerberos\x00"], ids=["longer-than-200", "nul-character"]
)
def test_unsearchable_input_is_400_naming_search(tenant, client, query):
    make_ticket(tenant, subject="kerberos outage")

    response = client.get(f"/api/v1/t/{tenant.slug}/tickets/", {"search": query})

    assert response.status_code == 400, response.content
    assert "search" in field_errors(response)


def test_the_filter_works_without_a_request_tenant(tenant):
    # Background jobs (exports) run the ticket FilterSet with a bare request object.
    ticket = make_ticket(tenant, subject="kerberos outage")
    make_ticket(tenant, subject="Printer jam")
    with tenant_context(tenant):
        filterset = TicketFilter(
            data={"search": "kerberos"},
            queryset=selectors.ticket_list(tenant=tenant),
            request=SimpleNamespace(user=None),
        )
        found = [t.pk for t in filterset.qs]

    assert found == [ticket.pk]


# --- Keeping the documents in sync ------------------------------------------------------------


def test_subject_and_description_changes_are_searchable_at_once(tenant):
    ticket = make_ticket(tenant, subject="kerberos outage", description="token expired")
    with tenant_context(tenant):
        services.ticket_update(
            tenant=tenant, actor=Actor(), ticket=ticket, subject="Login broken", description="sso"
        )

    assert (_found(tenant, "login sso"), _found(tenant, "kerberos"), _found(tenant, "token")) == (
        [ticket.pk],
        [],
        [],
    )


def test_a_new_comment_is_searchable_at_once(tenant):
    ticket = make_ticket(tenant, subject="Login broken")
    assert _found(tenant, "kerberos") == []

    _comment(tenant, ticket, "It was kerberos all along", public=False)

    assert _found(tenant, "kerberos") == [ticket.pk]


def test_a_deleted_ticket_disappears_from_search(tenant):
    ticket = make_ticket(tenant, subject="kerberos outage")
    _comment(tenant, ticket, "kerberos again")
    kept = make_ticket(tenant, subject="kerberos twice")
    with tenant_context(tenant):
        services.ticket_delete(tenant=tenant, actor=Actor(), ticket=ticket)

    assert _found(tenant, "kerberos") == [kept.pk]


def test_merged_comments_are_found_on_the_target_only(tenant):
    source = make_ticket(tenant, subject="Source")
    target = make_ticket(tenant, subject="Target")
    _comment(tenant, source, "kerberos")
    with tenant_context(tenant):
        services.ticket_merge(tenant=tenant, actor=Actor(), ticket=source, into=target)

    assert _found(tenant, "kerberos") == [target.pk]


def test_erased_customer_data_is_no_longer_searchable(tenant):
    ticket = make_ticket(
        tenant, subject="Jane Roe cannot log in", description="Call Jane", customer_email="j@x.test"
    )
    with tenant_context(tenant):
        _comment(tenant, ticket, "Jane here again", author_customer=ticket.requester)
        services.customer_erase(tenant=tenant, actor=Actor(), customer=ticket.requester)

    assert _found(tenant, "jane") == []
    assert _found(tenant, "erased") == [ticket.pk]


# --- Isolation --------------------------------------------------------------------------------


@pytest.fixture
def best_match_elsewhere(tenant, other_tenant):
    """Tenant B's ticket matches far better than tenant A's only match."""
    theirs = make_ticket(
        other_tenant, subject="kerberos kerberos kerberos", description="kerberos kerberos"
    )
    ours = make_ticket(tenant, subject="Login trouble")
    _comment(tenant, ours, "maybe kerberos")
    return SimpleNamespace(ours=ours, theirs=theirs)


def test_the_function_never_returns_another_tenants_ticket(tenant, best_match_elsewhere):
    # limit=1: were the tenant filter missing, the other tenant's best match would take it.
    assert _found(tenant, "kerberos", limit=1) == [best_match_elsewhere.ours.pk]


def test_the_api_never_lists_another_tenants_ticket(tenant, client, best_match_elsewhere):
    assert _search(client, tenant, "kerberos") == ["Login trouble"]


def test_the_other_tenant_finds_only_its_own(other_tenant, best_match_elsewhere):
    assert _found(other_tenant, "kerberos") == [best_match_elsewhere.theirs.pk]


@pytest.mark.django_db(databases=["default", "owner"])
@pytest.mark.parametrize("using", ["default", "owner"])
def test_the_function_returns_nothing_without_a_tenant_context(tenant, best_match_elsewhere, using):
    # The owner connection runs the function as the definer itself, still without a tenant.
    assert _rows("SELECT * FROM tickets_search('kerberos', 100)", using=using) == []


def test_the_selector_refuses_to_search_outside_a_tenant_context(tenant):
    with pytest.raises(TenantContextMissing):
        selectors.ticket_search(tenant=tenant, query="kerberos")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM tickets_ticketsearch",
        "INSERT INTO tickets_ticketsearch VALUES (%(other)s, 1, 'kerberos'::tsvector)",
        "UPDATE tickets_ticketsearch SET document = ''::tsvector",
        "DELETE FROM tickets_ticketsearch",
        "TRUNCATE tickets_ticketsearch",
        "SELECT tickets_search_refresh(%(other)s, ARRAY[1]::bigint[])",
        "SELECT tickets_search_document('a', 'b', 'c')",
    ],
    ids=["select", "insert", "update", "delete", "truncate", "refresh", "document"],
)
def test_the_runtime_role_cannot_touch_the_side_table(tenant, best_match_elsewhere, sql):
    other = best_match_elsewhere.theirs.tenant_id
    with pytest.raises(ProgrammingError, match="permission denied"):
        with tenant_context(tenant):
            _rows(sql, {"other": other})


def _runtime_privileges() -> dict:
    role = settings.TENANCY_DB_ROLE
    [(table_privileges,)] = _rows(
        "SELECT array_agg(p ORDER BY p) FILTER (WHERE has_table_privilege(%s, %s, p)) "
        "FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', "
        "'TRIGGER']) AS p",
        [role, SIDE_TABLE],
        using="owner",
    )
    functions = _rows(
        "SELECT p.oid::regprocedure::text, has_function_privilege(%s, p.oid, 'EXECUTE') "
        "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.proname LIKE 'tickets\\_search%%'",
        [role],
        using="owner",
    )
    return {"table": table_privileges, "functions": dict(functions)}


EXPECTED_PRIVILEGES = {
    "table": None,
    "functions": {
        "tickets_search(text,integer)": True,
        "tickets_search_document(text,text,text)": False,
        "tickets_search_refresh(bigint,bigint[])": False,
        "tickets_search_ticket_inserted()": False,
        "tickets_search_ticket_changed()": False,
        "tickets_search_ticket_deleted()": False,
        "tickets_search_ticket_truncated()": False,
        "tickets_search_comment_changed()": False,
    },
}


@pytest.mark.django_db(databases=["default", "owner"])
def test_the_runtime_role_may_only_execute_the_search_function():
    assert _runtime_privileges() == EXPECTED_PRIVILEGES


@pytest.mark.django_db(databases=["default", "owner"])
def test_granting_the_runtime_role_again_keeps_the_side_table_closed():
    grant_runtime_role()  # what every migrate runs afterwards

    assert _runtime_privileges() == EXPECTED_PRIVILEGES


@pytest.mark.django_db(databases=["default", "owner"])
def test_the_side_table_has_no_row_level_security_and_definer_functions_pin_search_path():
    [(rls, forced)] = _rows(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s",
        [SIDE_TABLE],
        using="owner",
    )
    definers = _rows(
        "SELECT p.proname, p.proconfig FROM pg_proc p "
        "WHERE p.proname LIKE 'tickets\\_search%%' AND p.prosecdef ORDER BY p.proname",
        using="owner",
    )

    assert (rls, forced) == (False, False)  # RLS here would block the index again
    assert [name for name, _ in definers] == [
        "tickets_search",
        "tickets_search_comment_changed",
        "tickets_search_ticket_changed",
        "tickets_search_ticket_deleted",
        "tickets_search_ticket_inserted",
        "tickets_search_ticket_truncated",
    ]
    assert {tuple(config) for _, config in definers} == {
        ("search_path=pg_catalog, public, pg_temp",)
    }


# --- The index ---------------------------------------------------------------------------------


@pytest.fixture
def owner_side_tickets():
    """500 tickets of one tenant, made and ANALYZEd on the owner connection.

    The runtime role may not ANALYZE, and the owner connection cannot see the default
    connection's uncommitted test rows, so these tests use the owner connection throughout;
    the rows are written as the runtime role (tenant_context switches the owner connection to
    it), through the same triggers the API's writes fire.
    """
    tenant = tenant_recipe.make(_using="owner")
    with tenant_context(tenant, using="owner"):
        customer = customer_recipe.make(tenant=tenant, _using="owner")
        ticket_recipe.make(
            tenant=tenant, requester=customer, _quantity=500, _bulk_create=True, _using="owner"
        )
        ticket_recipe.make(
            tenant=tenant, requester=customer, subject="kerberos outage", _using="owner"
        )
    # The planner prices GIN's pending list (fastupdate), which holds whatever earlier tests
    # inserted and rolled back; flush it, as autovacuum does, so the estimate is this data's.
    _rows(f"SELECT gin_clean_pending_list('{GIN_INDEX}'::regclass)", using="owner")
    _run(f"ANALYZE {SIDE_TABLE}", using="owner")
    _run("ANALYZE tickets_ticket", using="owner")
    return tenant


def _scans() -> dict[str, int]:
    """This transaction's scan counts: sequential scans of the side table, scans of its indexes."""
    rows = _rows(
        "SELECT c.relname, pg_stat_get_xact_numscans(c.oid) FROM pg_class c "
        "WHERE c.relname IN (%s, %s, 'tickets_ticketsearch_pkey')",
        [SIDE_TABLE, GIN_INDEX],
        using="owner",
    )
    return dict(rows)


@pytest.mark.django_db(databases=["default", "owner"])
def test_the_search_function_scans_only_the_gin_index_as_the_runtime_role(owner_side_tickets):
    with tenant_context(owner_side_tickets, using="owner"):
        # Small tables favour a sequential scan; production-sized ones the index (docs/search.md).
        _run("SET LOCAL enable_seqscan = off", using="owner")
        before = _scans()
        [(role,)] = _rows("SELECT current_user", using="owner")
        found = _rows("SELECT ticket_id FROM tickets_search('kerberos', 1000)", using="owner")
        after = _scans()

    assert role == settings.TENANCY_DB_ROLE
    assert len(found) == 1
    assert {name: after[name] - before[name] for name in after} == {
        GIN_INDEX: 1,
        SIDE_TABLE: 0,
        "tickets_ticketsearch_pkey": 0,
    }


def _plan(sql, params=None, using="owner") -> str:
    return "\n".join(line for (line,) in _rows(f"EXPLAIN {sql}", params, using=using))


@pytest.mark.django_db(databases=["default", "owner"])
def test_the_search_functions_query_plan_is_a_bitmap_scan_of_the_gin_index(owner_side_tickets):
    # The function's own statement, planned as PostgreSQL 15 plans a SQL function body: once,
    # generically (parameters unknown), as its owner, with the caller's tenant setting.
    [(body,)] = _rows(
        "SELECT prosrc FROM pg_proc WHERE oid = 'tickets_search(text, integer)'::regprocedure",
        using="owner",
    )
    _rows(
        "SELECT set_config('app.tenant_id', %s, true), "
        "set_config('plan_cache_mode', 'force_generic_plan', true), "
        "set_config('enable_seqscan', 'off', true)",
        [str(owner_side_tickets.pk)],
        using="owner",
    )
    _run(f"PREPARE ticket_search_plan(text, integer) AS {body}", using="owner")
    try:
        plan = _plan("EXECUTE ticket_search_plan('kerberos', 1000)")
    finally:
        _run("DEALLOCATE ticket_search_plan", using="owner")

    assert f"Bitmap Index Scan on {GIN_INDEX}" in plan, plan
    assert "Index Cond: ((tenant_id = " in plan, plan
    assert "AND (document @@ " in plan, plan
    assert "Seq Scan" not in plan, plan


@pytest.mark.django_db(databases=["default", "owner"])
def test_a_gin_index_on_the_rls_table_itself_is_not_used(owner_side_tickets):
    # Why the side table exists (research/tenancy.md §2.5): `@@` is not LEAKPROOF, so under
    # RLS it may only run after the policy, as a filter, even with sequential scans off.
    _run("SET CONSTRAINTS ALL IMMEDIATE", using="owner")  # no pending FK checks: DDL may run
    _run(
        "CREATE INDEX ticket_subject_fts_probe ON tickets_ticket "
        "USING gin (tenant_id, to_tsvector('simple'::regconfig, subject))",
        using="owner",
    )
    query = (
        "SELECT id FROM tickets_ticket WHERE tenant_id = %s AND "
        "to_tsvector('simple'::regconfig, subject) @@ websearch_to_tsquery('simple', 'kerberos')"
    )
    with tenant_context(owner_side_tickets, using="owner"):
        _run("SET LOCAL enable_seqscan = off", using="owner")
        plan = _plan(query, [owner_side_tickets.pk])
        matches = _rows(query, [owner_side_tickets.pk], using="owner")

    assert len(matches) == 1
    assert "ticket_subject_fts_probe" not in plan, plan
    assert "Filter: (to_tsvector(" in plan, plan
