"""Citus readiness, read from PostgreSQL's catalog (docs/scale-out.md).

Distributing by `tenant_id` needs: every table classified (distributed, reference or local,
tenants/citus.py); `tenant_id` in every unique constraint of a distributed table (its primary
key becomes (tenant_id, id) at the cutover, so UNIQUE (tenant_id, id) must already hold); every
index of a distributed table led by `tenant_id`; foreign keys only where Citus allows them.
Each rule is a checker that returns the problems it finds; the tests at the end build a table
that breaks it (inside a rolled-back transaction) and show that the checker names it.
"""

import pytest
from django.db import connections, transaction

from tenants.citus import INDEXES_WITHOUT_TENANT_ID, LOCAL_TABLES, REFERENCE_TABLES

pytestmark = pytest.mark.django_db(databases=["default", "owner"])

WHERE_TO_CLASSIFY = (
    "give it tenant_id NOT NULL (a distributed table), or list it in "
    "tenants/citus.py REFERENCE_TABLES or LOCAL_TABLES with its reason"
)


def _fetch(cursor, sql, params=None):
    cursor.execute(sql, params or [])
    return cursor.fetchall()


def public_tables(cursor) -> dict[str, bool]:
    """Every table of the public schema -> whether it has tenant_id NOT NULL."""
    rows = _fetch(
        cursor,
        """
        SELECT c.relname, COALESCE(bool_or(a.attnotnull), false)
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attribute a
          ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        GROUP BY c.relname
        """,
    )
    return dict(rows)


def distributed_tables(cursor, reference=REFERENCE_TABLES) -> set[str]:
    return {name for name, tenant in public_tables(cursor).items() if tenant} - set(reference)


def classification_problems(cursor, reference=REFERENCE_TABLES, local=LOCAL_TABLES) -> list[str]:
    tables = public_tables(cursor)
    problems = [
        f"{name}: not classified; {WHERE_TO_CLASSIFY}"
        for name, tenant in sorted(tables.items())
        if not tenant and name not in reference and name not in local
    ]
    problems += [
        f"{name}: listed but no such table" for name in sorted(set(reference) - tables.keys())
    ]
    problems += [f"{name}: listed but no such table" for name in sorted(set(local) - tables.keys())]
    problems += [
        f"{name}: both reference and local" for name in sorted(set(reference) & set(local))
    ]
    problems += [
        f"{name}: has tenant_id NOT NULL, so it is distributed; it cannot stay local"
        for name in sorted(set(local))
        if tables.get(name)
    ]
    return problems


def _indexes(cursor, tables):
    """(table, index, unique, primary, access method, key columns or None for expressions)."""
    rows = _fetch(
        cursor,
        """
        SELECT c.relname, ic.relname, i.indisunique, i.indisprimary, am.amname,
               ARRAY(SELECT CASE WHEN k.attnum = 0 THEN NULL ELSE a.attname::text END
                     FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, n)
                     LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                     ORDER BY k.n)
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_am am ON am.oid = ic.relam
        WHERE c.relname = ANY(%s)
        ORDER BY 1, 2
        """,
        [sorted(tables)],
    )
    return rows


def unique_problems(cursor, tables) -> list[str]:
    """Every unique index of a distributed table includes tenant_id; a primary key without it
    must have its (tenant_id, pk) twin, the key the Citus cutover swaps in."""
    indexes = _indexes(cursor, tables)
    unique_sets = {
        (table, frozenset(columns)) for table, _, unique, _, _, columns in indexes if unique
    }
    problems = []
    for table, name, unique, primary, _, columns in indexes:
        if not unique or "tenant_id" in columns:
            continue
        if primary and (table, frozenset(["tenant_id", *columns])) in unique_sets:
            continue  # PRIMARY KEY (id) beside UNIQUE (tenant_id, id): swapped at the cutover
        kind = "primary key" if primary else "unique index"
        problems.append(f"{table}.{name}: {kind} on {columns} lacks tenant_id")
    return problems


def _reference_fk_columns(cursor, tables, reference) -> set[tuple[str, tuple[str, ...]]]:
    """(table, columns) of every real foreign key from `tables` to a reference table."""
    rows = _fetch(
        cursor,
        """
        SELECT c.conrelid::regclass::text,
               ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                     ORDER BY k.n)
        FROM pg_constraint c
        WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)
          AND c.confrelid::regclass::text = ANY(%s)
        """,
        [sorted(tables), sorted(reference)],
    )
    return {(table, tuple(columns)) for table, columns in rows}


def index_problems(
    cursor, tables, reference=REFERENCE_TABLES, allowed=INDEXES_WITHOUT_TENANT_ID
) -> list[str]:
    """Every index of a distributed table has tenant_id: leading, for a btree. Exempt: an index
    on exactly the columns of a foreign key to a reference table (what PostgreSQL reads when a
    user row is deleted, a lookup that cannot carry tenant_id), and the named allowlist."""
    fk_support = _reference_fk_columns(cursor, tables, reference)
    problems, seen = [], set()
    for table, name, _unique, primary, method, columns in _indexes(cursor, tables):
        if primary:
            continue  # unique_problems
        leading = columns[:1] == ["tenant_id"]
        if leading or (method != "btree" and "tenant_id" in columns):
            continue
        if (table, tuple(columns)) in fk_support:
            continue
        if name in allowed:
            seen.add(name)
            continue
        where = "not leading" if "tenant_id" in columns else "missing"
        problems.append(f"{table}.{name}: {method} on {columns}, tenant_id {where}")
    problems += [
        f"{name}: allowlisted in tenants/citus.py but no such index breaks the rule; drop it"
        for name in sorted(set(allowed) - seen)
    ]
    return problems


def foreign_key_problems(cursor, reference=REFERENCE_TABLES, local=LOCAL_TABLES) -> list[str]:
    """Distributed -> distributed: composite (tenant_id, x) -> (tenant_id, id). Distributed ->
    reference: fine. Reference -> reference only. Local -> local or reference. Anything else
    Citus refuses."""
    distributed = distributed_tables(cursor, reference)
    rows = _fetch(
        cursor,
        """
        SELECT c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text,
               ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                     ORDER BY k.n),
               ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, n)
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum
                     ORDER BY k.n)
        FROM pg_constraint c
        JOIN pg_class r ON r.oid = c.conrelid
        JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE c.contype = 'f' AND n.nspname = 'public'
        ORDER BY 2, 1
        """,
    )

    def kind(table):
        if table in distributed:
            return "distributed"
        return "reference" if table in reference else "local"

    allowed = {
        "distributed": {"distributed", "reference"},
        "reference": {"reference"},
        "local": {"local", "reference"},
    }
    problems = []
    for name, table, target, columns, target_columns in rows:
        source_kind, target_kind = kind(table), kind(target)
        if target_kind not in allowed[source_kind]:
            problems.append(
                f"{table}.{name}: a {source_kind} table points at {target} ({target_kind})"
            )
        elif (source_kind, target_kind) == ("distributed", "distributed") and (
            columns[:1] != ["tenant_id"] or target_columns[:1] != ["tenant_id"]
        ):
            problems.append(
                f"{table}.{name}: {columns} -> {target}{target_columns} is not composite on "
                "tenant_id (use CompositeTenantFK)"
            )
    return problems


# --- the project's own schema ---------------------------------------------------------------


def test_every_table_is_distributed_reference_or_local():
    with connections["owner"].cursor() as cursor:
        tables = public_tables(cursor)
        assert len(distributed_tables(cursor)) > 20  # the tenant tables are there at all
        assert classification_problems(cursor) == []
    # The control tables are reference tables.
    assert {"tenants_tenant", "tenants_user", "tenants_membership"} <= set(REFERENCE_TABLES)
    assert set(REFERENCE_TABLES) <= tables.keys()


def test_every_unique_constraint_of_a_distributed_table_includes_tenant_id():
    with connections["owner"].cursor() as cursor:
        assert unique_problems(cursor, distributed_tables(cursor)) == []


def test_every_distributed_table_with_an_id_has_unique_tenant_id_id():
    """PRIMARY KEY (id) today; the cutover makes (tenant_id, id) the key, already unique."""
    with connections["owner"].cursor() as cursor:
        tables = distributed_tables(cursor)
        pk_only_id = {
            table
            for table, _, _, primary, _, columns in _indexes(cursor, tables)
            if primary and columns == ["id"]
        }
        twins = {
            table
            for table, _, unique, _, _, columns in _indexes(cursor, tables)
            if unique and columns == ["tenant_id", "id"]
        }
    assert pk_only_id  # what the doc says: the primary keys are (id) today
    assert pk_only_id <= twins


def test_every_index_of_a_distributed_table_leads_with_tenant_id():
    with connections["owner"].cursor() as cursor:
        assert index_problems(cursor, distributed_tables(cursor)) == []


def test_foreign_keys_are_ones_citus_accepts():
    with connections["owner"].cursor() as cursor:
        assert foreign_key_problems(cursor) == []


# --- each checker catches what it is for ----------------------------------------------------


@pytest.fixture
def owner_cursor():
    """A cursor of the owner role inside a transaction that is always rolled back."""
    with transaction.atomic(using="owner"), connections["owner"].cursor() as cursor:
        yield cursor
        transaction.set_rollback(True, using="owner")


def test_an_unclassified_table_is_named_with_where_to_classify_it(owner_cursor):
    owner_cursor.execute("CREATE TABLE zz_probe (id bigint PRIMARY KEY)")

    assert classification_problems(owner_cursor) == [
        f"zz_probe: not classified; {WHERE_TO_CLASSIFY}"
    ]
    assert classification_problems(owner_cursor, local={**LOCAL_TABLES, "zz_probe": "x"}) == []
    assert classification_problems(owner_cursor, local={**LOCAL_TABLES, "zz_gone": "x"}) == [
        f"zz_probe: not classified; {WHERE_TO_CLASSIFY}",
        "zz_gone: listed but no such table",
    ]


def test_a_distributed_table_cannot_be_listed_as_local(owner_cursor):
    owner_cursor.execute("CREATE TABLE zz_probe (id bigint, tenant_id bigint NOT NULL)")

    assert "zz_probe" in distributed_tables(owner_cursor)
    assert classification_problems(owner_cursor, local={**LOCAL_TABLES, "zz_probe": "x"}) == [
        "zz_probe: has tenant_id NOT NULL, so it is distributed; it cannot stay local"
    ]


def test_unique_constraints_without_tenant_id_are_named(owner_cursor):
    owner_cursor.execute(
        "CREATE TABLE zz_probe (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, "
        "code text UNIQUE, slug text, UNIQUE (tenant_id, slug))"
    )

    assert unique_problems(owner_cursor, {"zz_probe"}) == [
        "zz_probe.zz_probe_code_key: unique index on ['code'] lacks tenant_id",
        "zz_probe.zz_probe_pkey: primary key on ['id'] lacks tenant_id",
    ]
    owner_cursor.execute("ALTER TABLE zz_probe ADD UNIQUE (tenant_id, id)")  # the twin
    owner_cursor.execute("CREATE UNIQUE INDEX zz_probe_lower ON zz_probe (lower(code))")
    assert unique_problems(owner_cursor, {"zz_probe"}) == [
        "zz_probe.zz_probe_code_key: unique index on ['code'] lacks tenant_id",
        "zz_probe.zz_probe_lower: unique index on [None] lacks tenant_id",
    ]


def test_indexes_without_a_leading_tenant_id_are_named_and_the_allowlist_cannot_rot(
    owner_cursor,
):
    owner_cursor.execute(
        "CREATE TABLE zz_probe (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, "
        "user_id bigint REFERENCES tenants_user (id), code text, created_at timestamptz)"
    )
    owner_cursor.execute("CREATE INDEX zz_probe_code ON zz_probe (code)")
    owner_cursor.execute("CREATE INDEX zz_probe_late ON zz_probe (created_at, tenant_id)")
    owner_cursor.execute("CREATE INDEX zz_probe_ok ON zz_probe (tenant_id, created_at)")
    owner_cursor.execute("CREATE INDEX zz_probe_user ON zz_probe (user_id)")  # FK to reference

    assert index_problems(owner_cursor, {"zz_probe"}) == [
        "zz_probe.zz_probe_code: btree on ['code'], tenant_id missing",
        "zz_probe.zz_probe_late: btree on ['created_at', 'tenant_id'], tenant_id not leading",
    ]
    allowed = {"zz_probe_code": "a reason", "zz_probe_ok": "stale", "zz_gone": "stale"}
    assert index_problems(owner_cursor, {"zz_probe"}, allowed=allowed) == [
        "zz_probe.zz_probe_late: btree on ['created_at', 'tenant_id'], tenant_id not leading",
        "zz_gone: allowlisted in tenants/citus.py but no such index breaks the rule; drop it",
        "zz_probe_ok: allowlisted in tenants/citus.py but no such index breaks the rule; drop it",
    ]


def test_foreign_keys_citus_refuses_are_named(owner_cursor):
    owner_cursor.execute(
        "CREATE TABLE zz_probe (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, "
        "ticket_id bigint CONSTRAINT zz_single REFERENCES tickets_ticket (id), "
        "customer_id bigint, user_id bigint CONSTRAINT zz_user REFERENCES tenants_user (id), "
        "CONSTRAINT zz_composite FOREIGN KEY (tenant_id, customer_id) "
        "REFERENCES tickets_customer (tenant_id, id))"
    )
    owner_cursor.execute(
        "ALTER TABLE tenants_membership ADD CONSTRAINT zz_ref_to_dist "
        "FOREIGN KEY (tenant_id, id) REFERENCES tickets_ticket (tenant_id, id)"
    )
    owner_cursor.execute(
        "CREATE TABLE zz_local (id bigint PRIMARY KEY, "
        "ticket_id bigint CONSTRAINT zz_local_to_dist REFERENCES tickets_ticket (id))"
    )

    local = {**LOCAL_TABLES, "zz_local": "a probe"}
    assert foreign_key_problems(owner_cursor, local=local) == [
        "tenants_membership.zz_ref_to_dist: a reference table points at tickets_ticket "
        "(distributed)",
        "zz_local.zz_local_to_dist: a local table points at tickets_ticket (distributed)",
        "zz_probe.zz_single: ['ticket_id'] -> tickets_ticket['id'] is not composite on "
        "tenant_id (use CompositeTenantFK)",
    ]
