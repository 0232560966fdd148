"""What makes full-text search safe and fast: the side table outside RLS, its definer
functions (the tenant comes from the transaction), the runtime role's privileges, and the GIN
index (docs/search.md)."""

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import ProgrammingError, connections

from tenants.context import TenantContextMissing, tenant_context
from tenants.db import grant_runtime_role
from tests.tenants.recipes import tenant_recipe
from tests.tickets.recipes import customer_recipe, ticket_recipe
from tests.tickets.search.helpers import found, make_comment, make_ticket, search
from tickets import selectors

SIDE_TABLE = "tickets_ticketsearch"
GIN_INDEX = "tickets_ticketsearch_document_gin"


def _rows(sql, params=None, using="default"):
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _run(sql, params=None, using="default") -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params or [])


# --- Isolation --------------------------------------------------------------------------------


@pytest.fixture
def best_match_elsewhere(tenant, other_tenant):
    """Tenant B's ticket matches far better than tenant A's only match."""
    theirs = make_ticket(other_tenant, "kerberos kerberos kerberos", "kerberos kerberos")
    ours = make_ticket(tenant, "Login trouble")
    make_comment(tenant, ours, "maybe kerberos")
    return SimpleNamespace(ours=ours, theirs=theirs)


def test_the_function_never_returns_another_tenants_ticket(tenant, best_match_elsewhere):
    # limit=1: were the tenant filter missing, the other tenant's best match would take it.
    assert found(tenant, "kerberos", limit=1) == [best_match_elsewhere.ours.pk]


def test_the_api_never_lists_another_tenants_ticket(tenant, client, best_match_elsewhere):
    assert search(client, tenant, "kerberos") == ["Login trouble"]


def test_the_other_tenant_finds_only_its_own(other_tenant, best_match_elsewhere):
    assert found(other_tenant, "kerberos") == [best_match_elsewhere.theirs.pk]


@pytest.mark.django_db(databases=["default", "owner"])
@pytest.mark.parametrize("using", ["default", "owner"])
def test_the_function_returns_nothing_without_a_tenant_context(tenant, best_match_elsewhere, using):
    # The owner connection runs the function as the definer itself, still without a tenant.
    assert _rows("SELECT * FROM tickets_search('kerberos', 100)", using=using) == []
    assert _rows("SELECT * FROM tickets_search_positions('kerberos')", using=using) == []


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
        "SELECT tickets_search_document('simple', 'a', 'b', 'c')",
        "SELECT tickets_search_config(%(other)s)",
        "SELECT count(*) FROM tickets_searchstate",
        "UPDATE tickets_searchstate SET built = 'simple'",
    ],
    ids=[
        "select",
        "insert",
        "update",
        "delete",
        "truncate",
        "refresh",
        "document",
        "config",
        "state-select",
        "state-update",
    ],
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
        "tickets_search_positions(text)": True,
        "tickets_search_rebuild(bigint,integer)": True,
        "tickets_search_config(bigint)": False,
        "tickets_search_document(regconfig,text,text,text)": False,
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
        "tickets_search_positions",
        "tickets_search_rebuild",
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
