"""Full-text search over articles with a GIN index under row-level security (docs/search.md).

The same design as the ticket search (tickets/migrations/0003, 0014, 0015): `@@` is not
LEAKPROOF, so a GIN index on the RLS-protected article table would never be used. The
documents live in `knowledge_base_articlesearch`, a table WITHOUT row-level security on which
the runtime role has no privilege (tenants.db.DEFINER_ONLY_TABLES); triggers on the article
table keep it in step in the writer's transaction, and one SECURITY DEFINER function,
`kb_search(query, only_status, lim)`, returns the current tenant's matches (the tenant from
`app.tenant_id`, never from an argument; no tenant, no rows) with their headlines. A change of
the tenant's `search_language` rebuilds its article documents at once (a trigger on
tenants_tenant).

The document is built with the tenant's search language (`tickets_search_config`): title
weight A, excerpt and tags B, the Markdown body C. `query` is tsquery text that
knowledge_base.search builds from the user's words (each word a quoted lexeme), parsed with the
tenant's configuration. The headlines are built from the current tenant's article rows (RLS
applies to the owner too: the tables are FORCEd) with the private-use characters U+E000 and
U+E001 as markers, removed from the text first; knowledge_base.search HTML-escapes the text and
only then turns the markers into <mark> and </mark>.
"""

from django.db import migrations

SIDE_TABLE = "knowledge_base_articlesearch"

DOCUMENT_FUNCTION = """
CREATE FUNCTION kb_search_document(config regconfig, title text, excerpt text, tags text[],
                                   body text)
RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT pg_catalog.setweight(pg_catalog.to_tsvector($1, COALESCE($2, '')), 'A')
         OPERATOR(pg_catalog.||)
         pg_catalog.setweight(pg_catalog.to_tsvector($1,
             COALESCE($3, '') OPERATOR(pg_catalog.||) ' '
             OPERATOR(pg_catalog.||) pg_catalog.array_to_string(COALESCE($4, '{}'), ' ')), 'B')
         OPERATOR(pg_catalog.||)
         pg_catalog.setweight(pg_catalog.to_tsvector($1,
             pg_catalog.left(COALESCE($5, ''), 100000)), 'C')
$$
"""

ARTICLE_CHANGED = """
CREATE FUNCTION kb_search_article_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  config regconfig;
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM public.knowledge_base_articlesearch s
     WHERE s.tenant_id = OLD.tenant_id AND s.article_id = OLD.id;
    RETURN NULL;
  END IF;
  config := public.tickets_search_config(NEW.tenant_id);
  INSERT INTO public.knowledge_base_articlesearch AS s
         (tenant_id, article_id, status, config, document)
  VALUES (NEW.tenant_id, NEW.id, NEW.status, config,
          public.kb_search_document(config, NEW.title, NEW.excerpt, NEW.tags, NEW.body))
  ON CONFLICT (tenant_id, article_id)
  DO UPDATE SET status = EXCLUDED.status, config = EXCLUDED.config,
                document = EXCLUDED.document;
  RETURN NULL;
END
$$
"""

ARTICLE_TRUNCATED = """
CREATE FUNCTION kb_search_article_truncated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  TRUNCATE public.knowledge_base_articlesearch;
  RETURN NULL;
END
$$
"""

# The tenant's search language changed: rebuild its article documents now, in the settings
# update's transaction (a knowledge base is small next to the tickets, which a task rebuilds in
# batches). The article table is FORCEd under RLS, so the tenant setting is switched to the
# updated tenant for the rebuild and put back afterwards.
LANGUAGE_CHANGED = """
CREATE FUNCTION kb_search_language_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  previous text := current_setting('app.tenant_id', true);
  new_config regconfig;
BEGIN
  PERFORM set_config('app.tenant_id', NEW.id::text, true);
  new_config := public.tickets_search_config(NEW.id);
  UPDATE public.knowledge_base_articlesearch s
     SET config = new_config,
         document = public.kb_search_document(new_config, a.title, a.excerpt, a.tags, a.body)
    FROM public.knowledge_base_article a
   WHERE s.tenant_id = NEW.id AND a.tenant_id = NEW.id AND a.id = s.article_id
     AND s.config <> new_config;
  PERFORM set_config('app.tenant_id', COALESCE(previous, ''), true);
  RETURN NULL;
END
$$
"""

SEARCH_FUNCTION = """
CREATE FUNCTION kb_search(query text, only_status text, lim integer)
RETURNS TABLE (article_id bigint, rank real, title_headline text, text_headline text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
  WITH q AS (
    SELECT t.id AS tenant, c.config, to_tsquery(c.config, $1) AS tsq
      FROM (SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint AS id) AS t
      CROSS JOIN LATERAL (SELECT public.tickets_search_config(t.id) AS config OFFSET 0) AS c
     WHERE t.id IS NOT NULL
  ), hits AS (
    SELECT s.article_id, ts_rank(s.document, q.tsq) AS rank
      FROM public.knowledge_base_articlesearch s, q
     WHERE s.tenant_id = q.tenant
       AND s.document @@ q.tsq
       AND ($2 IS NULL OR s.status = $2)
     ORDER BY rank DESC, s.article_id DESC
     LIMIT GREATEST(LEAST($3, 100), 0)
  )
  SELECT h.article_id, h.rank,
         ts_headline(q.config, translate(a.title, U&'\\E000\\E001', ''), q.tsq,
                     'HighlightAll=true, StartSel=' || U&'\\E000' || ', StopSel=' || U&'\\E001'),
         ts_headline(q.config,
                     translate(a.excerpt || E'\\n' || a.body, U&'\\E000\\E001', ''), q.tsq,
                     'MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=" … ", '
                     'StartSel=' || U&'\\E000' || ', StopSel=' || U&'\\E001')
    FROM hits h
    CROSS JOIN q
    JOIN public.knowledge_base_article a ON a.tenant_id = q.tenant AND a.id = h.article_id
   ORDER BY h.rank DESC, h.article_id DESC
$$
"""

FUNCTIONS = [
    ("kb_search_document(regconfig, text, text, text[], text)", DOCUMENT_FUNCTION),
    ("kb_search_article_changed()", ARTICLE_CHANGED),
    ("kb_search_article_truncated()", ARTICLE_TRUNCATED),
    ("kb_search_language_changed()", LANGUAGE_CHANGED),
    ("kb_search(text, text, integer)", SEARCH_FUNCTION),
]

TRIGGERS = [
    (
        "kb_search_article_write",
        "knowledge_base_article",
        "AFTER INSERT OR UPDATE OF title, excerpt, tags, body, status "
        "ON knowledge_base_article FOR EACH ROW EXECUTE FUNCTION kb_search_article_changed()",
    ),
    (
        "kb_search_article_delete",
        "knowledge_base_article",
        "AFTER DELETE ON knowledge_base_article FOR EACH ROW "
        "EXECUTE FUNCTION kb_search_article_changed()",
    ),
    (
        "kb_search_article_truncate",
        "knowledge_base_article",
        "AFTER TRUNCATE ON knowledge_base_article FOR EACH STATEMENT "
        "EXECUTE FUNCTION kb_search_article_truncated()",
    ),
    (
        "kb_search_tenant_language",
        "tenants_tenant",
        "AFTER UPDATE OF settings ON tenants_tenant FOR EACH ROW "
        "WHEN (OLD.settings ->> 'search_language' IS DISTINCT FROM "
        "NEW.settings ->> 'search_language') "
        "EXECUTE FUNCTION kb_search_language_changed()",
    ),
]

# Existing articles, tenant by tenant (the article table is FORCEd under RLS).
BACKFILL = """
DO $$
DECLARE
  tenant bigint;
BEGIN
  FOR tenant IN SELECT id FROM public.tenants_tenant ORDER BY id LOOP
    PERFORM set_config('app.tenant_id', tenant::text, true);
    INSERT INTO public.knowledge_base_articlesearch (tenant_id, article_id, status, config,
                                                     document)
    SELECT a.tenant_id, a.id, a.status, cfg.config,
           public.kb_search_document(cfg.config, a.title, a.excerpt, a.tags, a.body)
      FROM public.knowledge_base_article a
      CROSS JOIN (SELECT public.tickets_search_config(tenant) AS config) AS cfg
     WHERE a.tenant_id = tenant;
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
END
$$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge_base", "0001_initial"),
        ("tickets", "0015_ticket_search_language"),
    ]

    operations = [
        migrations.RunSQL(
            [
                f"""
                CREATE TABLE {SIDE_TABLE} (
                  tenant_id bigint NOT NULL,
                  article_id bigint NOT NULL,
                  status varchar(16) NOT NULL,
                  config regconfig NOT NULL,
                  document tsvector NOT NULL,
                  CONSTRAINT knowledge_base_articlesearch_pkey PRIMARY KEY (tenant_id, article_id)
                )
                """,
                f"REVOKE ALL ON {SIDE_TABLE} FROM PUBLIC",
            ],
            [f"DROP TABLE {SIDE_TABLE}"],
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
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.RunSQL(
            f"CREATE INDEX knowledge_base_articlesearch_gin ON {SIDE_TABLE} "
            "USING gin (tenant_id, document)",
            "DROP INDEX knowledge_base_articlesearch_gin",
        ),
    ]
