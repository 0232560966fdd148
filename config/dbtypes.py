"""Faster timestamptz loading for Django's psycopg 3 connections.

Django loads every `timestamptz` through its own loader, a subclass of psycopg's pure-Python
`TimestamptzLoader` (a regular expression and a dozen Python calls per value), because it
replaces the result's tzinfo with the connection's timezone; psycopg's C loader (the
`psycopg[binary]` we install) cannot be subclassed. A ticket page reads about 200
timestamps: with Django's loader they cost more Python time than building the model
instances.

`fast_timestamptz_loader` registers, on a new connection, a loader that parses with
psycopg's C loader and then does exactly what Django's does (`replace(tzinfo=<the
connection's timezone>)`). It carries the same `timezone` attribute Django compares in
`create_cursor`, so Django keeps it rather than registering its own per cursor.
"""

from functools import cache

from psycopg import adapters
from psycopg.adapt import Loader
from psycopg.pq import Format

TIMESTAMPTZ_OID = 1184


@cache
def _loader_class(timezone):
    parser = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)  # the C loader when available

    class FastTzLoader(Loader):
        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._parse = parser(oid, context).load

        def load(self, data):
            return self._parse(data).replace(tzinfo=self.timezone)

    FastTzLoader.timezone = timezone
    return FastTzLoader


def fast_timestamptz_loader(sender, connection, **kwargs) -> None:
    """connection_created receiver: register the fast loader on a PostgreSQL connection."""
    if connection.vendor != "postgresql" or not hasattr(connection.connection, "adapters"):
        return
    connection.connection.adapters.register_loader(
        "timestamptz", _loader_class(connection.timezone)
    )
