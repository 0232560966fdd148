"""Database settings for a connection pooler in transaction mode (PgBouncer).

In transaction mode a client owns a server connection only for the length of one
transaction; the next transaction of the same client may run on another server connection,
and another client's next transaction on this one. Whatever outlives a transaction on the
server is therefore shared between clients. The tenant context is transaction-local
(tenants/context.py: `set_config(..., true)`), so it never does; these settings keep Django
and psycopg from creating server state that would:

- server-side cursors (`QuerySet.iterator()`) live across fetches on one server connection:
  `DISABLE_SERVER_SIDE_CURSORS`;
- psycopg prepares a statement on the server after `prepare_threshold` executions (named
  prepared statements belong to a server session; PgBouncer before 1.21 cannot track them):
  `prepare_threshold` None disables them (Django's default too, pinned here so a URL or
  OPTIONS cannot turn them back on);
- `assume_role` makes Django run a session-level `SET ROLE` when it connects, which would
  stay on whichever server connection ran it: refused.
"""

from django.core.exceptions import ImproperlyConfigured

# none: DATABASE_URL reaches PostgreSQL directly (or through a session-mode pooler).
# transaction: DATABASE_URL reaches a transaction-mode pooler.
DATABASE_POOLING_MODES = ("none", "transaction")


def transaction_pooling(database: dict) -> dict:
    """Make one DATABASES entry safe behind a transaction-mode pooler; return it."""
    options = database.setdefault("OPTIONS", {})
    if options.get("assume_role"):
        raise ImproperlyConfigured(
            "DATABASE_POOLING=transaction: OPTIONS 'assume_role' runs a session-level SET ROLE, "
            "which a transaction-mode pooler would hand to other clients."
        )
    options["prepare_threshold"] = None
    database["DISABLE_SERVER_SIDE_CURSORS"] = True
    return database
