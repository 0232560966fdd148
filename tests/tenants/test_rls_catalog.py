"""The database wall, read from PostgreSQL's catalog (not from our Python code)."""

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connections

from tenants.models import TenantModel

# Control tables that carry a tenant_id but are read before any tenant is known
# (authentication, tenant resolution, "my tenants", accepting an invitation by its token).
# Adding to this list needs a reason.
CONTROL_TABLES_WITH_TENANT_ID = {"tenants_membership", "tenants_apikey", "tenants_invitation"}
# Tables with a tenant_id and deliberately no RLS, because RLS would keep PostgreSQL from using
# their index: the runtime role has no privilege on them at all, and only owner-defined
# functions that filter by the tenant setting read them (tests/tickets/search/).
# tickets_searchstate (the search language a tenant's documents were built with) lives beside
# the side table for the same functions; the runtime role has no privilege on it either.
# knowledge_base_articlesearch is the articles' side table (knowledge_base migration 0002).
FUNCTION_ONLY_TABLES = {
    "tickets_ticketsearch",
    "tickets_searchstate",
    "knowledge_base_articlesearch",
}

# The policy expression exactly as PostgreSQL stores it (pg_policies deparses it this way).
EXPECTED_PREDICATE = (
    "(tenant_id = ( SELECT (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))"
    '::bigint AS "nullif"))'
)

pytestmark = pytest.mark.django_db(databases=["default", "owner"])


def _fetch(sql, params=None, using="owner"):
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _tables_with_tenant_id() -> set[str]:
    rows = _fetch(
        """
        SELECT c.relname FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
          AND a.attname = 'tenant_id' AND NOT a.attisdropped
        """
    )
    return {name for (name,) in rows}


def test_every_tenant_id_table_is_a_tenant_model_or_a_named_control_table():
    tenant_model_tables = {
        model._meta.db_table for model in apps.get_models() if issubclass(model, TenantModel)
    }

    assert tenant_model_tables  # the project has tenant tables at all
    assert (
        _tables_with_tenant_id()
        == tenant_model_tables | CONTROL_TABLES_WITH_TENANT_ID | FUNCTION_ONLY_TABLES
    )


def test_every_tenant_table_has_rls_enabled_forced_and_a_policy_on_tenant_id():
    tables = _tables_with_tenant_id() - CONTROL_TABLES_WITH_TENANT_ID - FUNCTION_ONLY_TABLES
    rows = _fetch(
        """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
               p.policyname, p.cmd, p.qual, p.with_check
        FROM pg_class c LEFT JOIN pg_policies p ON p.tablename = c.relname
        WHERE c.relname = ANY(%s)
        """,
        [sorted(tables)],
    )

    assert sorted(row[0] for row in rows) == sorted(tables)  # exactly one policy per table
    for name, enabled, forced, policy, cmd, qual, with_check in rows:
        assert enabled, f"{name}: RLS not enabled"
        assert forced, f"{name}: RLS not forced (the owner would bypass it)"
        assert policy is not None, f"{name}: no policy"
        assert cmd == "ALL"
        assert qual == EXPECTED_PREDICATE, f"{name}: USING is {qual}"
        assert with_check == EXPECTED_PREDICATE, f"{name}: WITH CHECK is {with_check}"


def test_runtime_role_is_not_superuser_not_bypassrls_and_owns_nothing():
    role = settings.DATABASES["default"]["USER"]
    [(is_super, bypass)] = _fetch(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [role]
    )
    owned = _fetch(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = %s
        """,
        [role],
    )

    assert (is_super, bypass) == (False, False)
    assert owned == []


def test_the_api_really_connects_as_the_runtime_role():
    [(user, session_user)] = _fetch("SELECT current_user, session_user", using="default")

    assert user == session_user == settings.DATABASES["default"]["USER"]
    assert user != settings.DATABASES["owner"]["USER"]


def test_every_tenant_table_has_unique_tenant_id_id():
    tables = _tables_with_tenant_id() - CONTROL_TABLES_WITH_TENANT_ID - FUNCTION_ONLY_TABLES
    rows = _fetch(
        """
        SELECT c.relname FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_attribute a1 ON a1.attrelid = c.oid AND a1.attnum = i.indkey[0]
        JOIN pg_attribute a2 ON a2.attrelid = c.oid AND a2.attnum = i.indkey[1]
        WHERE i.indisunique AND i.indnkeyatts = 2
          AND a1.attname = 'tenant_id' AND a2.attname = 'id' AND c.relname = ANY(%s)
        """,
        [sorted(tables)],
    )

    assert {name for (name,) in rows} == tables


def test_audit_log_is_append_only_for_the_runtime_role():
    role = settings.DATABASES["default"]["USER"]
    rows = _fetch(
        """
        SELECT privilege_type FROM information_schema.role_table_grants
        WHERE grantee = %s AND table_name = 'tenants_auditlogentry'
        """,
        [role],
    )

    assert {p for (p,) in rows} == {"SELECT", "INSERT"}


def _composite_fks() -> set[tuple[str, str, str]]:
    """(table, column, referenced table) of every FOREIGN KEY (tenant_id, column)."""
    rows = _fetch(
        """
        SELECT c.conrelid::regclass::text, a2.attname, c.confrelid::regclass::text
        FROM pg_constraint c
        JOIN pg_attribute a1 ON a1.attrelid = c.conrelid AND a1.attnum = c.conkey[1]
        JOIN pg_attribute a2 ON a2.attrelid = c.conrelid AND a2.attnum = c.conkey[2]
        JOIN pg_attribute f1 ON f1.attrelid = c.confrelid AND f1.attnum = c.confkey[1]
        JOIN pg_attribute f2 ON f2.attrelid = c.confrelid AND f2.attnum = c.confkey[2]
        WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 2
          AND a1.attname = 'tenant_id' AND f1.attname = 'tenant_id' AND f2.attname = 'id'
          AND NOT c.condeferred
        """
    )
    return set(rows)


def test_every_reference_between_tenant_tables_is_a_composite_foreign_key():
    expected = {
        (model._meta.db_table, field.column, field.related_model._meta.db_table)
        for model in apps.get_models()
        if issubclass(model, TenantModel)
        for field in model._meta.concrete_fields
        if field.is_relation and issubclass(field.related_model, TenantModel)
    }

    assert expected  # tenant tables do reference each other
    assert expected <= _composite_fks()
