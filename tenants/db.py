"""Database wall: the RLS policy every tenant table gets, the migration router, role grants."""

from django.conf import settings
from django.db import connections, transaction
from django.db.models.constraints import BaseConstraint

OWNER_ALIAS = "owner"
TENANT_GUC = "app.tenant_id"
# A scalar sub-select makes the planner evaluate the setting once per statement (an InitPlan)
# and keeps tenant-leading indexes usable (research/tenancy.md §2.5). Unset/empty -> NULL ->
# no row matches: fail closed, never an error.
TENANT_PREDICATE = f"tenant_id = (SELECT NULLIF(current_setting('{TENANT_GUC}', true), '')::bigint)"


class TenantRLS(BaseConstraint):
    """Row-level security for one tenant table: ENABLE + FORCE + one policy (USING + CHECK).

    Declared once in TenantModel.Meta.constraints, so `makemigrations` emits it for every
    tenant model and `makemigrations --check` catches drift. The policy applies to every role
    (superusers and BYPASSRLS roles aside), so even the table owner sees no tenant rows without
    a tenant context.
    """

    def _create_statements(self, model, schema_editor) -> list[str]:
        table = schema_editor.quote_name(model._meta.db_table)
        policy = schema_editor.quote_name(self.name)
        return [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
            f"CREATE POLICY {policy} ON {table} AS PERMISSIVE FOR ALL "
            f"USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
        ]

    def constraint_sql(self, model, schema_editor):
        # Policies can only be created once the table exists: defer them past CREATE TABLE.
        schema_editor.deferred_sql.extend(self._create_statements(model, schema_editor))
        return None

    def create_sql(self, model, schema_editor):
        return "; ".join(self._create_statements(model, schema_editor))

    def remove_sql(self, model, schema_editor):
        table = schema_editor.quote_name(model._meta.db_table)
        policy = schema_editor.quote_name(self.name)
        return (
            f"DROP POLICY IF EXISTS {policy} ON {table}; "
            f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY; "
            f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"
        )

    def validate(self, model, instance, exclude=None, using=None):
        return None  # enforced by PostgreSQL, nothing to validate in Python

    def __eq__(self, other):
        return isinstance(other, TenantRLS) and self.name == other.name

    def __hash__(self):
        return hash((type(self).__name__, self.name))


class CompositeTenantFK(BaseConstraint):
    """`FOREIGN KEY (tenant_id, <field>_id) REFERENCES <target> (tenant_id, id)`.

    The database keeps a tenant row from pointing at another tenant's row, whatever the ORM
    does: referential checks bypass RLS (research/tenancy.md §3 row 3), a single-column FK would
    accept a foreign id. Declare it beside a `ForeignKey(db_constraint=False)`. IMMEDIATE, not
    Django's DEFERRED, so a violation fails the statement (and the test) that causes it.
    """

    def __init__(self, *, name, field, violation_error_code=None, violation_error_message=None):
        super().__init__(name=name)
        self.field = field

    def _sql(self, model, schema_editor) -> str:
        field = model._meta.get_field(self.field)
        quote = schema_editor.quote_name
        return (
            f"ALTER TABLE {quote(model._meta.db_table)} ADD CONSTRAINT {quote(self.name)} "
            f"FOREIGN KEY (tenant_id, {quote(field.column)}) "
            f"REFERENCES {quote(field.related_model._meta.db_table)} (tenant_id, id) "
            "DEFERRABLE INITIALLY IMMEDIATE"
        )

    def constraint_sql(self, model, schema_editor):
        # The referenced table may not exist yet inside CREATE TABLE: add it afterwards.
        schema_editor.deferred_sql.append(self._sql(model, schema_editor))
        return None

    def create_sql(self, model, schema_editor):
        return self._sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        quote = schema_editor.quote_name
        return f"ALTER TABLE {quote(model._meta.db_table)} DROP CONSTRAINT {quote(self.name)}"

    def validate(self, model, instance, exclude=None, using=None):
        return None  # enforced by PostgreSQL

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["field"] = self.field
        return path, args, kwargs

    def __eq__(self, other):
        return (
            isinstance(other, CompositeTenantFK)
            and self.name == other.name
            and self.field == other.field
        )

    def __hash__(self):
        return hash((type(self).__name__, self.name, self.field))


class OwnerMigratesRouter:
    """Only the owner connection runs migrations; the runtime role has no DDL rights."""

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == OWNER_ALIAS


# Tables the runtime role may append to and read, never rewrite (append-only audit trail).
APPEND_ONLY_TABLES = ("tenants_auditlogentry",)
# Tables without row-level security that the runtime role may not touch at all: only SECURITY
# DEFINER functions owned by the schema owner read and write them (docs/search.md).
DEFINER_ONLY_TABLES = (
    "tickets_ticketsearch",
    "tickets_searchstate",
    "knowledge_base_articlesearch",
)
# The SECURITY DEFINER functions the runtime role may call (EXECUTE is revoked from PUBLIC).
RUNTIME_FUNCTIONS = (
    "tickets_search(text, integer)",
    "tickets_search_positions(text)",
    "tickets_search_rebuild(bigint, integer)",
    "kb_search(text, text, integer)",
)


def grant_runtime_role(*, using: str = OWNER_ALIAS) -> None:
    """Grant the runtime role DML on every table and sequence the owner created.

    Runs after every migrate (post_migrate), so new tables are covered without a hand-written
    migration, whatever the runtime role is called in this deployment. One transaction: the
    definer-only tables never hold the blanket grant, not even between two statements.
    """
    connection = connections[using]
    role = settings.TENANCY_DB_ROLE
    if not role or connection.settings_dict["USER"] == role:
        return
    quoted = connection.ops.quote_name(role)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"
        )
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        for table in APPEND_ONLY_TABLES:
            cursor.execute(
                f"REVOKE UPDATE, DELETE, TRUNCATE ON {connection.ops.quote_name(table)} "
                f"FROM {quoted}"
            )
        # Absent before their migration has run (a partial migrate, or one to an older state).
        cursor.execute(
            "SELECT to_regclass(t)::text FROM unnest(%s::text[]) AS t", [list(DEFINER_ONLY_TABLES)]
        )
        for (table,) in cursor.fetchall():
            if table is not None:
                cursor.execute(f"REVOKE ALL ON {table} FROM {quoted}")
        cursor.execute(
            "SELECT to_regprocedure(f)::text FROM unnest(%s::text[]) AS f",
            [list(RUNTIME_FUNCTIONS)],
        )
        for (function,) in cursor.fetchall():
            if function is not None:
                cursor.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {quoted}")
