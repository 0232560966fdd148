"""kb_search(): the body's highlight is cut from the rendered, sanitized HTML (tags dropped)
instead of the Markdown source, so a search shows what the reader sees — no Markdown syntax,
no link targets, nothing the sanitizer removed. Matching is unchanged. CREATE OR REPLACE keeps
the function's owner and grants."""

from django.db import migrations

SEARCH_FUNCTION = r"""
CREATE OR REPLACE FUNCTION kb_search(query text, only_status text, lim integer)
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
         ts_headline(q.config, translate(a.title, U&'\E000\E001', ''), q.tsq,
                     'HighlightAll=true, StartSel=' || U&'\E000' || ', StopSel=' || U&'\E001'),
         ts_headline(q.config,
                     translate(a.excerpt || E'\n'
                               || regexp_replace(a.body_html, '<[^>]*>', ' ', 'g'),
                               U&'\E000\E001', ''),
                     q.tsq,
                     'MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=" … ", '
                     'StartSel=' || U&'\E000' || ', StopSel=' || U&'\E001')
    FROM hits h
    CROSS JOIN q
    JOIN public.knowledge_base_article a ON a.tenant_id = q.tenant AND a.id = h.article_id
   ORDER BY h.rank DESC, h.article_id DESC
$$
"""

PREVIOUS = r"""
CREATE OR REPLACE FUNCTION kb_search(query text, only_status text, lim integer)
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
         ts_headline(q.config, translate(a.title, U&'\E000\E001', ''), q.tsq,
                     'HighlightAll=true, StartSel=' || U&'\E000' || ', StopSel=' || U&'\E001'),
         ts_headline(q.config,
                     translate(a.excerpt || E'\n' || a.body, U&'\E000\E001', ''), q.tsq,
                     'MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=" … ", '
                     'StartSel=' || U&'\E000' || ', StopSel=' || U&'\E001')
    FROM hits h
    CROSS JOIN q
    JOIN public.knowledge_base_article a ON a.tenant_id = q.tenant AND a.id = h.article_id
   ORDER BY h.rank DESC, h.article_id DESC
$$
"""


class Migration(migrations.Migration):
    dependencies = [("knowledge_base", "0003_help_center_published_idx")]

    operations = [migrations.RunSQL(SEARCH_FUNCTION, PREVIOUS)]
