"""Full-text ticket search through SECURITY DEFINER functions (docs/search.md).

The search documents live in `tickets_ticketsearch`, which the runtime role cannot read. Two
functions return the current tenant's matches (the tenant comes from the transaction's
`app.tenant_id`, never from an argument): `tickets_search(query, lim)`, the best `lim` ids,
and `tickets_search_positions(query)`, every match with its place in the ranking, which the
ticket list joins so a search and the other filters select exactly the same rows.
"""

from django.db import connection, models
from django.db.models import QuerySet
from django.db.models.expressions import Expression
from django.db.models.sql.constants import INNER

from tenants.context import require_tenant_id, tenant_context

# The default number of ids ticket_search_ids returns (the list itself has no cap).
SEARCH_MAX_RESULTS = 1000
# Tickets per rebuild batch (one transaction each; the batch's tickets are locked FOR SHARE).
SEARCH_REBUILD_BATCH = 500
# The annotation a searched ticket queryset carries: 1 for the best match, 2 for the next…
SEARCH_POSITION = "search_position"
_HITS = "ticket_search_hits"


def ticket_search_ids(*, query: str, limit: int = SEARCH_MAX_RESULTS) -> list[int]:
    """Return the ids of the current tenant's tickets matching `query`, best match first.

    `query` uses web-search syntax (words, "quoted phrases", `or`, `-word`); anything else is
    read as words, never an error. Raises TenantContextMissing outside a tenant context.
    """
    require_tenant_id()
    with connection.cursor() as cursor:
        cursor.execute("SELECT ticket_id FROM tickets_search(%s, %s)", [query, limit])
        return [ticket_id for (ticket_id,) in cursor.fetchall()]


class _SearchHitsJoin:
    """`INNER JOIN tickets_search_positions(<query>) <alias> ON <alias>.ticket_id = <t>.id`:
    the tenant's matches joined to the ticket query, so every other filter, the ranking and
    the page limit apply in one statement (no cap on the matches)."""

    table_name = _HITS
    filtered_relation = None
    nullable = False

    def __init__(self, query: str, parent_alias: str, table_alias: str | None = None):
        self.query = query
        self.parent_alias = parent_alias
        self.table_alias = table_alias
        self.join_type = INNER

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(self.table_alias)
        parent = compiler.quote_name_unless_alias(self.parent_alias)
        return (
            # Ordered: with the list's ORDER BY search_position LIMIT n the planner can walk
            # the matches best first and stop once the page is full (docs/search.md §4).
            "INNER JOIN (SELECT h.ticket_id, h.search_position "  # noqa: S608 — quoted aliases
            "FROM tickets_search_positions(%s) AS h ORDER BY h.search_position) "
            f"{alias} ON ({alias}.ticket_id = {parent}.id)",
            [self.query],
        )

    def relabeled_clone(self, change_map):
        return self.__class__(
            self.query,
            change_map.get(self.parent_alias, self.parent_alias),
            change_map.get(self.table_alias, self.table_alias),
        )

    def promote(self):
        return self

    def demote(self):
        return self

    @property
    def identity(self):
        return self.__class__, self.query, self.parent_alias

    def __eq__(self, other):
        if not isinstance(other, _SearchHitsJoin):
            return NotImplemented
        return self.identity == other.identity

    def __hash__(self):
        return hash(self.identity)


class _HitPosition(Expression):
    """The joined match's `search_position` column (follows the join when it is relabeled)."""

    contains_column_references = True

    def __init__(self, alias: str):
        super().__init__(output_field=models.BigIntegerField())
        self.alias = alias

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(self.alias)}.{SEARCH_POSITION}", []

    def relabeled_clone(self, relabels):
        return self.__class__(relabels.get(self.alias, self.alias))

    def get_group_by_cols(self):
        return [self]

    @property
    def identity(self):
        return self.__class__, self.alias

    def __eq__(self, other):
        return isinstance(other, _HitPosition) and self.alias == other.alias

    def __hash__(self):
        return hash(self.identity)


def ticket_search_narrow(queryset: QuerySet, *, query: str) -> QuerySet:
    """Narrow a ticket queryset to the current tenant's matches of `query`, best match first.

    Each row is annotated with its `search_position` (1 = best among all the tenant's
    matches; the positions of the rows other filters keep have gaps). Nothing runs until the
    queryset is evaluated, inside the tenant context (outside it the function finds nothing).
    The caller scopes `queryset` to the tenant (tickets.selectors.ticket_search does). Raises
    TenantContextMissing outside a tenant context.
    """
    require_tenant_id()
    queryset = queryset.all()
    sql_query = queryset.query
    alias = sql_query.join(_SearchHitsJoin(query, sql_query.get_initial_alias()))
    return queryset.annotate(**{SEARCH_POSITION: _HitPosition(alias)}).order_by(SEARCH_POSITION)


def ticket_search_rebuild(*, tenant_id: int, batch_size: int = SEARCH_REBUILD_BATCH) -> int:
    """Rebuild every search document of the tenant with its current search language, in
    batches of `batch_size` tickets, each its own transaction; return the number of batches.

    Searches keep working meanwhile: until the last batch, they look for the words in both the
    new and the previous language's forms (docs/search.md). Run outside any transaction
    (tickets.tasks.ticket_search_rebuild_task).
    """
    after, batches = 0, 0
    while after is not None:
        with tenant_context(tenant_id), connection.cursor() as cursor:
            cursor.execute("SELECT tickets_search_rebuild(%s, %s)", [after, batch_size])
            [(after,)] = cursor.fetchall()
        batches += 1
    return batches
