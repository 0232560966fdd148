"""Full-text ticket search through the SECURITY DEFINER function `tickets_search` (docs/search.md).

The search documents live in `tickets_ticketsearch`, which the runtime role cannot read; the
function returns the ids of the current tenant's matching tickets (the tenant comes from the
transaction's `app.tenant_id`, never from an argument), best match first.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import BigIntegerField, F, Func, IntegerField, QuerySet, Value
from django.db.models.functions import Cast

from tenants.context import require_tenant_id

# Ranking stops at the best N matches: a search narrows the list to them, then the other list
# filters apply. Enough for people reading results; bounded work per request.
SEARCH_MAX_RESULTS = 1000
# The annotation a searched ticket queryset carries: 1 for the best match, 2 for the next…
SEARCH_POSITION = "search_position"


def ticket_search_ids(*, query: str, limit: int = SEARCH_MAX_RESULTS) -> list[int]:
    """Return the ids of the current tenant's tickets matching `query`, best match first.

    `query` uses web-search syntax (words, "quoted phrases", `or`, `-word`); anything else is
    read as words, never an error. Raises TenantContextMissing outside a tenant context.
    """
    require_tenant_id()
    with connection.cursor() as cursor:
        cursor.execute("SELECT ticket_id FROM tickets_search(%s, %s)", [query, limit])
        return [ticket_id for (ticket_id,) in cursor.fetchall()]


def ticket_search_narrow(queryset: QuerySet, *, query: str) -> QuerySet:
    """Narrow a ticket queryset to the current tenant's matches of `query`, best match first.

    Each row is annotated with its `search_position` (1 = best). The caller scopes `queryset`
    to the tenant (tickets.selectors.ticket_search does). Raises TenantContextMissing outside a
    tenant context.
    """
    ids = ticket_search_ids(query=query)
    position = Func(
        Cast(Value(ids), ArrayField(BigIntegerField())),
        F("id"),
        function="array_position",
        output_field=IntegerField(),
    )
    return (
        queryset.filter(pk__in=ids)
        .annotate(**{SEARCH_POSITION: position})
        .order_by(SEARCH_POSITION)
    )
