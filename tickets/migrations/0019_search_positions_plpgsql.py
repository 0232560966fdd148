"""tickets_search_positions in PL/pgSQL: the same query, its plan cached per connection.

A SQL-language function used in FROM is not inlined when it is SECURITY DEFINER, and its
body is planned again on every call; PL/pgSQL keeps the plan for the connection. Measured on
250k tickets, both versions called in turn in one session: a rare word (177 matches) 3.3 →
2.8 ms a call, a common word (9,962 matches) about 5% less. Same arguments, result,
privileges (CREATE OR REPLACE keeps them) and search_path.
"""

from importlib import import_module

from django.db import migrations

# 0015's SQL-language function (CREATE OR REPLACE), for the way back.
_0015 = import_module("tickets.migrations.0015_ticket_search_language")

# The query of 0015: the words in the tenant's search language (and in the language the
# documents were built with while a rebuild runs). The argument is `$1`, as there: a bare
# `query` would turn ambiguous (an error at call time) if a table here got a column so named.
POSITIONS_PLPGSQL = """
CREATE OR REPLACE FUNCTION tickets_search_positions(query text)
RETURNS TABLE (ticket_id bigint, search_position bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
ROWS 1000
AS $$
BEGIN
  RETURN QUERY
  SELECT s.ticket_id,
         row_number() OVER (ORDER BY ts_rank(s.document, q.tsq) DESC, s.ticket_id DESC)
    FROM public.tickets_ticketsearch s,
         (SELECT CASE WHEN b.built IS NULL OR b.built = c.config
                      THEN websearch_to_tsquery(c.config, $1)
                      ELSE websearch_to_tsquery(c.config, $1)
                           || websearch_to_tsquery(b.built, $1) END
            FROM (SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint AS id) AS t
            CROSS JOIN LATERAL (SELECT public.tickets_search_config(t.id) AS config OFFSET 0) AS c
            LEFT JOIN public.tickets_searchstate b ON b.tenant_id = t.id
           OFFSET 0) AS q(tsq)
   WHERE s.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint
     AND s.document @@ q.tsq;
END
$$
"""


class Migration(migrations.Migration):
    dependencies = [("tickets", "0018_tenant_leading_indexes")]

    operations = [migrations.RunSQL(POSITIONS_PLPGSQL, _0015.POSITIONS_FUNCTION)]
