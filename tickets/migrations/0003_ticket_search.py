"""Full-text search over tickets that uses a GIN index under row-level security.

Why a side table (docs/search.md, research/tenancy.md §2.5): with RLS on, PostgreSQL may not
evaluate a non-LEAKPROOF operator such as `@@` before the policy, so a GIN index on a tenant
table is never used for it; every search scans the whole tenant. The document therefore lives
in `tickets_ticketsearch`, a table WITHOUT row-level security on which the runtime role has NO
privilege at all (tenants.db.grant_runtime_role revokes what its blanket grant gives). Only
SECURITY DEFINER functions owned by the schema owner touch it, and they take the tenant from
the transaction's `app.tenant_id` setting, never from an argument:

- `tickets_search(query, lim)`: the one entry point the runtime role may EXECUTE; the matching
  ticket ids of the current tenant, best first. No tenant context -> no rows.
- triggers on tickets_ticket (insert, subject/description update, delete, truncate) and
  tickets_comment (insert, update, delete) keep the document in sync in the same transaction:
  subject weight A, description B, comment bodies C.

The GIN index covers (tenant_id, document) through btree_gin (trusted since PostgreSQL 13, so
the owner may create it), so one index scan applies the tenant and the text condition.
There is no foreign key to tickets_ticket on purpose: Django's test flush TRUNCATEs model
tables without CASCADE, which a referencing table outside its list would make fail; the delete
and truncate triggers keep the rows in step instead.
"""

from django.db import migrations

# The document of one ticket. Inputs are capped so the tsvector stays far below PostgreSQL's
# 1 MB limit whatever a ticket accumulates (a failing trigger would fail the comment's write);
# comments are taken oldest first.
# Fully qualified instead of SET search_path, so the planner can inline it into its callers.
DOCUMENT_FUNCTION = """
CREATE FUNCTION tickets_search_document(subject text, description text, comments text)
RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.simple'::pg_catalog.regconfig,
             pg_catalog.left(COALESCE($1, ''), 1000)), 'A')
         OPERATOR(pg_catalog.||)
         pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.simple'::pg_catalog.regconfig,
             pg_catalog.left(COALESCE($2, ''), 50000)), 'B')
         OPERATOR(pg_catalog.||)
         pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.simple'::pg_catalog.regconfig,
             pg_catalog.left(COALESCE($3, ''), 150000)), 'C')
$$
"""

# Rebuild the documents of some tickets of one tenant (runs as the owner, inside the trigger's
# transaction; RLS on the source tables still applies with the writer's tenant setting).
REFRESH_FUNCTION = """
CREATE FUNCTION tickets_search_refresh(tenant bigint, ticket_ids bigint[])
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, public, pg_temp
AS $$
  INSERT INTO public.tickets_ticketsearch AS s (tenant_id, ticket_id, document)
  SELECT t.tenant_id, t.id, public.tickets_search_document(
           t.subject,
           t.description,
           (SELECT string_agg(c.body, ' ' ORDER BY c.created_at, c.id)
              FROM public.tickets_comment c
             WHERE c.tenant_id = t.tenant_id AND c.ticket_id = t.id))
    FROM public.tickets_ticket t
    JOIN (SELECT DISTINCT u.id FROM unnest($2) AS u(id)) AS changed ON changed.id = t.id
   WHERE t.tenant_id = $1
  ON CONFLICT (tenant_id, ticket_id) DO UPDATE SET document = EXCLUDED.document
$$
"""

SEARCH_FUNCTION = """
CREATE FUNCTION tickets_search(query text, lim integer)
RETURNS TABLE (ticket_id bigint, rank real)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
  SELECT s.ticket_id, ts_rank(s.document, q.tsq) AS rank
    FROM public.tickets_ticketsearch s,
         websearch_to_tsquery('simple'::regconfig, $1) AS q(tsq)
   WHERE s.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint
     AND s.document @@ q.tsq
   ORDER BY rank DESC, s.ticket_id DESC
   LIMIT $2
$$
"""

TICKET_INSERTED = """
CREATE FUNCTION tickets_search_ticket_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  -- A ticket inserted by this statement cannot have comments yet (their composite foreign
  -- key is checked immediately), so the document is its subject and description.
  INSERT INTO public.tickets_ticketsearch AS s (tenant_id, ticket_id, document)
  SELECT n.tenant_id, n.id, public.tickets_search_document(n.subject, n.description, NULL)
    FROM new_rows n
  ON CONFLICT (tenant_id, ticket_id) DO UPDATE SET document = EXCLUDED.document;
  RETURN NULL;
END
$$
"""

TICKET_TEXT_CHANGED = """
CREATE FUNCTION tickets_search_ticket_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  PERFORM public.tickets_search_refresh(NEW.tenant_id, ARRAY[NEW.id]);
  RETURN NULL;
END
$$
"""

TICKET_DELETED = """
CREATE FUNCTION tickets_search_ticket_deleted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  DELETE FROM public.tickets_ticketsearch s
   USING old_rows o
   WHERE s.tenant_id = o.tenant_id AND s.ticket_id = o.id;
  RETURN NULL;
END
$$
"""

TICKET_TRUNCATED = """
CREATE FUNCTION tickets_search_ticket_truncated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  TRUNCATE public.tickets_ticketsearch;
  RETURN NULL;
END
$$
"""

# One function for the three comment triggers; each references only the transition tables its
# event has (PL/pgSQL plans a statement when it first runs it).
COMMENT_CHANGED = """
CREATE FUNCTION tickets_search_comment_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  affected record;
BEGIN
  IF TG_OP = 'INSERT' THEN
    FOR affected IN
      SELECT n.tenant_id, array_agg(DISTINCT n.ticket_id) AS ids FROM new_rows n
       GROUP BY n.tenant_id
    LOOP
      PERFORM public.tickets_search_refresh(affected.tenant_id, affected.ids);
    END LOOP;
  ELSIF TG_OP = 'DELETE' THEN
    FOR affected IN
      SELECT o.tenant_id, array_agg(DISTINCT o.ticket_id) AS ids FROM old_rows o
       GROUP BY o.tenant_id
    LOOP
      PERFORM public.tickets_search_refresh(affected.tenant_id, affected.ids);
    END LOOP;
  ELSE
    -- Body edits (GDPR erasure) and moves between tickets (merge): both tickets change.
    FOR affected IN
      SELECT k.tenant_id, array_agg(DISTINCT k.ticket_id) AS ids
        FROM (SELECT n.tenant_id, n.ticket_id, o.ticket_id AS old_ticket_id
                FROM new_rows n JOIN old_rows o ON o.id = n.id
               WHERE n.body IS DISTINCT FROM o.body OR n.ticket_id IS DISTINCT FROM o.ticket_id
             ) AS c
        CROSS JOIN LATERAL (VALUES (c.tenant_id, c.ticket_id), (c.tenant_id, c.old_ticket_id))
             AS k(tenant_id, ticket_id)
       GROUP BY k.tenant_id
    LOOP
      PERFORM public.tickets_search_refresh(affected.tenant_id, affected.ids);
    END LOOP;
  END IF;
  RETURN NULL;
END
$$
"""

FUNCTIONS = [
    ("tickets_search_document(text, text, text)", DOCUMENT_FUNCTION),
    ("tickets_search_refresh(bigint, bigint[])", REFRESH_FUNCTION),
    ("tickets_search(text, integer)", SEARCH_FUNCTION),
    ("tickets_search_ticket_inserted()", TICKET_INSERTED),
    ("tickets_search_ticket_changed()", TICKET_TEXT_CHANGED),
    ("tickets_search_ticket_deleted()", TICKET_DELETED),
    ("tickets_search_ticket_truncated()", TICKET_TRUNCATED),
    ("tickets_search_comment_changed()", COMMENT_CHANGED),
]

TRIGGERS = [
    (
        "tickets_search_ticket_insert",
        "tickets_ticket",
        "AFTER INSERT ON tickets_ticket REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_ticket_inserted()",
    ),
    (
        "tickets_search_ticket_update",
        "tickets_ticket",
        "AFTER UPDATE OF subject, description ON tickets_ticket FOR EACH ROW "
        "WHEN (OLD.subject IS DISTINCT FROM NEW.subject "
        "OR OLD.description IS DISTINCT FROM NEW.description) "
        "EXECUTE FUNCTION tickets_search_ticket_changed()",
    ),
    (
        "tickets_search_ticket_delete",
        "tickets_ticket",
        "AFTER DELETE ON tickets_ticket REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_ticket_deleted()",
    ),
    (
        "tickets_search_ticket_truncate",
        "tickets_ticket",
        "AFTER TRUNCATE ON tickets_ticket "
        "FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_ticket_truncated()",
    ),
    (
        "tickets_search_comment_insert",
        "tickets_comment",
        "AFTER INSERT ON tickets_comment REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_comment_changed()",
    ),
    (
        "tickets_search_comment_update",
        "tickets_comment",
        "AFTER UPDATE ON tickets_comment REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_comment_changed()",
    ),
    (
        "tickets_search_comment_delete",
        "tickets_comment",
        "AFTER DELETE ON tickets_comment REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_comment_changed()",
    ),
]

# Existing tickets, tenant by tenant: the tables are FORCEd under RLS, so even the owner sees a
# tenant's rows only with its setting (transaction-local, cleared again at the end).
BACKFILL = """
DO $$
DECLARE
  tenant bigint;
BEGIN
  FOR tenant IN SELECT id FROM public.tenants_tenant ORDER BY id LOOP
    PERFORM set_config('app.tenant_id', tenant::text, true);
    PERFORM public.tickets_search_refresh(
      tenant, ARRAY(SELECT t.id FROM public.tickets_ticket t WHERE t.tenant_id = tenant));
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
END
$$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0002_audit_actor_refs_outlive_rows"),
        ("tickets", "0002_attachments_and_exports"),
    ]

    operations = [
        # Left in place on reverse: other indexes may come to rely on it.
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS btree_gin", migrations.RunSQL.noop),
        migrations.RunSQL(
            [
                """
                CREATE TABLE tickets_ticketsearch (
                  tenant_id bigint NOT NULL,
                  ticket_id bigint NOT NULL,
                  document tsvector NOT NULL,
                  CONSTRAINT tickets_ticketsearch_pkey PRIMARY KEY (tenant_id, ticket_id)
                )
                """,
                "REVOKE ALL ON tickets_ticketsearch FROM PUBLIC",
            ],
            ["DROP TABLE tickets_ticketsearch"],
        ),
        migrations.RunSQL(
            [
                statement
                for signature, body in FUNCTIONS
                for statement in (body, f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
            ],
            [f"DROP FUNCTION {signature}" for signature, _ in reversed(FUNCTIONS)],
        ),
        migrations.RunSQL(
            [f"CREATE TRIGGER {name} {definition}" for name, _, definition in TRIGGERS],
            [f"DROP TRIGGER {name} ON {table}" for name, table, _ in reversed(TRIGGERS)],
        ),
        # Triggers first, then the backfill: the triggers' lock keeps ticket and comment writes
        # out until this migration commits, so no change slips between the two.
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        # Built after the backfill: one bulk build, not every row through GIN's pending list.
        migrations.RunSQL(
            "CREATE INDEX tickets_ticketsearch_document_gin ON tickets_ticketsearch "
            "USING gin (tenant_id, document)",
            "DROP INDEX tickets_ticketsearch_document_gin",
        ),
    ]
