"""Search languages: each tenant's documents are built, and its queries parsed, with the text
search configuration its settings name (`search_language`, default english) (docs/search.md).

Where the functions find the configuration, without trusting any input:
`tickets_search_config(tenant)` reads `tenants_tenant.settings ->> 'search_language'` (the
control table the tenant settings service writes after validating it) and accepts only a
configuration of the `pg_catalog` schema with that name, anything else (absent, unknown, a
configuration some role created elsewhere) reads as english. It never casts text to regconfig,
so no value can make a ticket write fail.

Changing the language: the documents say which configuration built them
(`tickets_ticketsearch.config`), and `tickets_searchstate` (definer-only, like the side table)
keeps, per tenant, the configuration all its documents were built with. Until a rebuild has
gone over every ticket, the search functions OR the query parsed with both configurations, so
old and new documents are found. The rebuild (`tickets_search_rebuild(after, lim)`, called in
batches by tickets.tasks.ticket_search_rebuild_task) rebuilds the next `lim` tickets of the
current tenant after ticket id `after`, each batch locked FOR SHARE (the ticket writers lock
the same rows, so no concurrent comment is lost), and at the end records the new
configuration as built once no document of another remains.
"""

from importlib import import_module

from django.db import migrations

_0003 = import_module("tickets.migrations.0003_ticket_search")
_0014 = import_module("tickets.migrations.0014_ticket_search_exact")

SIDE_TABLE = "public.tickets_ticketsearch"
GIN_INDEX = "tickets_ticketsearch_document_gin"

STATE_TABLE = """
CREATE TABLE tickets_searchstate (
  tenant_id bigint NOT NULL,
  built regconfig NOT NULL,
  CONSTRAINT tickets_searchstate_pkey PRIMARY KEY (tenant_id)
)
"""

# The tenant's configuration: only pg_catalog's, by exact name; english otherwise.
CONFIG_FUNCTION = """
CREATE FUNCTION tickets_search_config(tenant bigint)
RETURNS regconfig
LANGUAGE sql STABLE
SET search_path = pg_catalog, public, pg_temp
AS $$
  SELECT COALESCE(
    (SELECT c.oid::regconfig
       FROM pg_catalog.pg_ts_config c
      WHERE c.cfgnamespace = 'pg_catalog'::regnamespace
        AND c.cfgname = (SELECT t.settings ->> 'search_language'
                           FROM public.tenants_tenant t WHERE t.id = $1)),
    'pg_catalog.english'::regconfig)
$$
"""

DOCUMENT_FUNCTION = """
CREATE FUNCTION tickets_search_document(config regconfig, subject text, description text,
                                        comments text)
RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT pg_catalog.setweight(pg_catalog.to_tsvector($1,
             pg_catalog.left(COALESCE($2, ''), 1000)), 'A')
         OPERATOR(pg_catalog.||)
         pg_catalog.setweight(pg_catalog.to_tsvector($1,
             pg_catalog.left(COALESCE($3, ''), 50000)), 'B')
         OPERATOR(pg_catalog.||)
         pg_catalog.setweight(pg_catalog.to_tsvector($1,
             pg_catalog.left(COALESCE($4, ''), 150000)), 'C')
$$
"""

REFRESH_FUNCTION = """
CREATE OR REPLACE FUNCTION tickets_search_refresh(tenant bigint, ticket_ids bigint[])
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, public, pg_temp
AS $$
  INSERT INTO public.tickets_ticketsearch AS s (tenant_id, ticket_id, config, document)
  SELECT t.tenant_id, t.id, cfg.config, public.tickets_search_document(
           cfg.config,
           t.subject,
           t.description,
           (SELECT string_agg(c.body, ' ' ORDER BY c.created_at, c.id)
              FROM public.tickets_comment c
             WHERE c.tenant_id = t.tenant_id AND c.ticket_id = t.id))
    FROM public.tickets_ticket t
    JOIN (SELECT DISTINCT u.id FROM unnest($2) AS u(id)) AS changed ON changed.id = t.id
    CROSS JOIN (SELECT public.tickets_search_config($1) AS config) AS cfg
   WHERE t.tenant_id = $1
  ON CONFLICT (tenant_id, ticket_id)
  DO UPDATE SET config = EXCLUDED.config, document = EXCLUDED.document;
  -- A tenant's first document records what built it.
  INSERT INTO public.tickets_searchstate (tenant_id, built)
  VALUES ($1, public.tickets_search_config($1))
  ON CONFLICT (tenant_id) DO NOTHING;
$$
"""

TICKET_INSERTED = """
CREATE OR REPLACE FUNCTION tickets_search_ticket_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  -- A ticket inserted by this statement cannot have comments yet (their composite foreign
  -- key is checked immediately), so the document is its subject and description.
  INSERT INTO public.tickets_ticketsearch AS s (tenant_id, ticket_id, config, document)
  SELECT n.tenant_id, n.id, cfg.config,
         public.tickets_search_document(cfg.config, n.subject, n.description, NULL)
    FROM new_rows n
    JOIN (SELECT d.tenant_id, public.tickets_search_config(d.tenant_id) AS config
            FROM (SELECT DISTINCT r.tenant_id FROM new_rows r) AS d) AS cfg
      ON cfg.tenant_id = n.tenant_id
  ON CONFLICT (tenant_id, ticket_id)
  DO UPDATE SET config = EXCLUDED.config, document = EXCLUDED.document;
  INSERT INTO public.tickets_searchstate (tenant_id, built)
  SELECT d.tenant_id, public.tickets_search_config(d.tenant_id)
    FROM (SELECT DISTINCT r.tenant_id FROM new_rows r) AS d
  ON CONFLICT (tenant_id) DO NOTHING;
  RETURN NULL;
END
$$
"""

TICKET_TRUNCATED = """
CREATE OR REPLACE FUNCTION tickets_search_ticket_truncated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  TRUNCATE public.tickets_ticketsearch, public.tickets_searchstate;
  RETURN NULL;
END
$$
"""

# The tenant's query: parsed with its configuration, OR with the one its documents were built
# with while a rebuild is pending. No tenant context: no tenant, no rows. OFFSET 0 keeps the
# planner from pulling the expression up into the outer query, where it was evaluated (with
# its configuration lookup) once per matching row: 126 ms instead of 12 for 8,306 matches.
QUERY = """
(SELECT CASE WHEN b.built IS NULL OR b.built = c.config
             THEN websearch_to_tsquery(c.config, $1)
             ELSE websearch_to_tsquery(c.config, $1) || websearch_to_tsquery(b.built, $1) END
   FROM (SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint AS id) AS t
   CROSS JOIN LATERAL (SELECT public.tickets_search_config(t.id) AS config OFFSET 0) AS c
   LEFT JOIN public.tickets_searchstate b ON b.tenant_id = t.id
  OFFSET 0)
"""

SEARCH_FUNCTION = f"""
CREATE OR REPLACE FUNCTION tickets_search(query text, lim integer)
RETURNS TABLE (ticket_id bigint, rank real)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
  SELECT s.ticket_id, ts_rank(s.document, q.tsq) AS rank
    FROM public.tickets_ticketsearch s,
         {QUERY} AS q(tsq)
   WHERE s.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint
     AND s.document @@ q.tsq
   ORDER BY rank DESC, s.ticket_id DESC
   LIMIT $2
$$
"""

POSITIONS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION tickets_search_positions(query text)
RETURNS TABLE (ticket_id bigint, search_position bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
ROWS 1000
AS $$
  SELECT s.ticket_id,
         row_number() OVER (ORDER BY ts_rank(s.document, q.tsq) DESC, s.ticket_id DESC)
    FROM public.tickets_ticketsearch s,
         {QUERY} AS q(tsq)
   WHERE s.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint
     AND s.document @@ q.tsq
$$
"""

# One batch of the current tenant's rebuild: the next `lim` tickets after id `after`, locked
# FOR SHARE in id order (the writers' lock order), rebuilt with the current configuration.
# Returns the last id done, or NULL when none is left (then records the configuration as
# built, unless documents of another remain: a language changed again during the rebuild has
# its own rebuild coming). No tenant context: nothing, NULL.
REBUILD_FUNCTION = """
CREATE FUNCTION tickets_search_rebuild(after bigint, lim integer)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  tenant bigint := NULLIF(current_setting('app.tenant_id', true), '')::bigint;
  ids bigint[];
  current_config regconfig;
BEGIN
  IF tenant IS NULL THEN
    RETURN NULL;
  END IF;
  ids := ARRAY(SELECT t.id FROM public.tickets_ticket t
                WHERE t.tenant_id = tenant AND t.id > COALESCE(after, 0)
                ORDER BY t.id LIMIT GREATEST(lim, 1) FOR SHARE);
  IF cardinality(ids) > 0 THEN
    PERFORM public.tickets_search_refresh(tenant, ids);
    RETURN ids[cardinality(ids)];
  END IF;
  current_config := public.tickets_search_config(tenant);
  INSERT INTO public.tickets_searchstate AS b (tenant_id, built) VALUES (tenant, current_config)
  ON CONFLICT (tenant_id) DO UPDATE SET built = EXCLUDED.built
   WHERE NOT EXISTS (SELECT 1 FROM public.tickets_ticketsearch s
                      WHERE s.tenant_id = tenant AND s.config <> current_config);
  RETURN NULL;
END
$$
"""

# Every tenant's documents, with its configuration (english unless set), as in 0003.
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


def _replace(sql: str) -> str:
    return sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0002_audit_actor_refs_outlive_rows"),
        ("tickets", "0014_ticket_search_exact"),
    ]

    operations = [
        # ACCESS EXCLUSIVE on the side table until commit: ticket and comment writes (their
        # triggers write it) wait, so none slips between the new functions and the backfill.
        migrations.RunSQL(
            [
                f"ALTER TABLE {SIDE_TABLE} ADD COLUMN config regconfig NOT NULL "
                "DEFAULT 'pg_catalog.simple'::regconfig",
                STATE_TABLE,
                "REVOKE ALL ON tickets_searchstate FROM PUBLIC",
            ],
            [
                "DROP TABLE tickets_searchstate",
                f"ALTER TABLE {SIDE_TABLE} DROP COLUMN config",
            ],
        ),
        migrations.RunSQL(
            [
                CONFIG_FUNCTION,
                "REVOKE ALL ON FUNCTION tickets_search_config(bigint) FROM PUBLIC",
                DOCUMENT_FUNCTION,
                "REVOKE ALL ON FUNCTION tickets_search_document(regconfig, text, text, text) "
                "FROM PUBLIC",
                REFRESH_FUNCTION,
                TICKET_INSERTED,
                TICKET_TRUNCATED,
                "DROP FUNCTION tickets_search_document(text, text, text)",
                SEARCH_FUNCTION,
                POSITIONS_FUNCTION,
                REBUILD_FUNCTION,
                "REVOKE ALL ON FUNCTION tickets_search_rebuild(bigint, integer) FROM PUBLIC",
            ],
            [
                "DROP FUNCTION tickets_search_rebuild(bigint, integer)",
                _replace(_0014.POSITIONS_FUNCTION),
                _replace(_0003.SEARCH_FUNCTION),
                _0003.DOCUMENT_FUNCTION,
                "REVOKE ALL ON FUNCTION tickets_search_document(text, text, text) FROM PUBLIC",
                _replace(_0003.TICKET_TRUNCATED),
                _replace(_0003.TICKET_INSERTED),
                _replace(_0003.REFRESH_FUNCTION),
                "DROP FUNCTION tickets_search_document(regconfig, text, text, text)",
                "DROP FUNCTION tickets_search_config(bigint)",
                _0003.BACKFILL,
            ],
        ),
        # Rebuilt without the index, then one bulk build (0003: not through the pending list).
        migrations.RunSQL(
            f"DROP INDEX {GIN_INDEX}",
            f"CREATE INDEX {GIN_INDEX} ON tickets_ticketsearch USING gin (tenant_id, document)",
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.RunSQL(
            f"ALTER TABLE {SIDE_TABLE} ALTER COLUMN config DROP DEFAULT",
            f"ALTER TABLE {SIDE_TABLE} ALTER COLUMN config SET DEFAULT 'pg_catalog.simple'",
        ),
        migrations.RunSQL(
            f"CREATE INDEX {GIN_INDEX} ON tickets_ticketsearch USING gin (tenant_id, document)",
            f"DROP INDEX {GIN_INDEX}",
        ),
    ]
