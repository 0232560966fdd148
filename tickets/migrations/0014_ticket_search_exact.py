"""Exact search: a search combines with the other list filters before anything is cut off.

`tickets_search(query, lim)` ranked the tenant's matches and kept the best `lim` (1,000); the
list filters then applied within them, so `?search=<common word>&status=<rare>` missed
matches beyond the cap. `tickets_search_positions(query)` returns every match of the current
tenant with its place in the ranking (1 = best); the ticket list joins it
(tickets.search.ticket_search_narrow), so the filters and the ranking apply to the same rows
and the page limit is the only cut (docs/search.md §4).

Same rules as tickets_search: SECURITY DEFINER owned by the schema owner, pinned search_path,
the tenant from `app.tenant_id` and never from an argument (no tenant -> no rows), ids and
places only. tenants.db.RUNTIME_FUNCTIONS grants the runtime role EXECUTE.
"""

from django.db import migrations

POSITIONS_FUNCTION = """
CREATE FUNCTION tickets_search_positions(query text)
RETURNS TABLE (ticket_id bigint, search_position bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
ROWS 1000
AS $$
  SELECT s.ticket_id,
         row_number() OVER (ORDER BY ts_rank(s.document, q.tsq) DESC, s.ticket_id DESC)
    FROM public.tickets_ticketsearch s,
         websearch_to_tsquery('simple'::regconfig, $1) AS q(tsq)
   WHERE s.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint
     AND s.document @@ q.tsq
$$
"""


class Migration(migrations.Migration):
    dependencies = [("tickets", "0013_sla_list_indexes")]

    operations = [
        migrations.RunSQL(
            [POSITIONS_FUNCTION, "REVOKE ALL ON FUNCTION tickets_search_positions(text) FROM PUBLIC"],
            ["DROP FUNCTION tickets_search_positions(text)"],
        ),
    ]
