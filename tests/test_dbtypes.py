"""config.dbtypes: timestamps load through psycopg's C parser and come out exactly as
Django's own loader gives them."""

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from config.dbtypes import TIMESTAMPTZ_OID

VALUES = """
SELECT v FROM (VALUES
  ('2026-11-30 12:34:56.789012+00'::timestamptz),
  ('2026-03-29 01:59:59.5+01'::timestamptz),
  ('1999-12-31 23:59:59-08:30'::timestamptz),
  ('0001-01-01 00:00:00+00'::timestamptz),
  ('9999-12-31 23:59:59.999999+00'::timestamptz),
  ('2024-02-29 00:00:00+14'::timestamptz),
  (NULL::timestamptz)
) AS t(v)
"""


def _fetch(cursor, sql=VALUES):
    cursor.execute(sql)
    return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_the_fast_loader_is_the_connections_and_gives_what_djangos_gives():
    with connection.cursor() as cursor:
        loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        assert loader.__name__ == "FastTzLoader"
        fast = _fetch(cursor)
        # Django's own loader on this cursor only (what it registers when the timezone differs).
        register_tzloader(connection.timezone, cursor.cursor)
        django_loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        assert django_loader.__name__ == "SpecificTzLoader"
        django_loaded = _fetch(cursor)

    assert fast == django_loaded
    assert [v.tzinfo if v else None for v in fast] == [
        v.tzinfo if v else None for v in django_loaded
    ]
    assert [v.isoformat() if v else None for v in fast] == [
        v.isoformat() if v else None for v in django_loaded
    ]
    assert fast[0].microsecond == 789012 and fast[-1] is None


@pytest.mark.django_db
def test_the_fast_loader_parses_in_c_and_matches_django_in_another_session_zone():
    import psycopg

    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    if psycopg.pq.__impl__ == "binary":  # what pyproject installs (psycopg[binary])
        assert type(loader(TIMESTAMPTZ_OID, connection.connection)._parse.__self__).__module__ == (
            "psycopg_binary._psycopg"
        )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'Asia/Kolkata'")  # the test's transaction only
        # Without 9999-12-31 23:59 UTC, which is past year 9999 in Kolkata (the next test).
        below_10k = "SELECT v FROM (" + VALUES + ") AS a WHERE v < '9999-12-31'"  # noqa: S608
        fast = _fetch(cursor, below_10k)
        register_tzloader(connection.timezone, cursor.cursor)
        django_loaded = _fetch(cursor, below_10k)

    assert fast == django_loaded
    assert [v.isoformat() if v else None for v in fast] == [
        v.isoformat() if v else None for v in django_loaded
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["infinity", "-infinity", "0044-03-15 12:00:00+00 BC"])
def test_a_value_python_cannot_hold_fails_alike_with_both_loaders(value):
    from django.db import DataError, transaction

    errors = []
    for django_loader in (False, True):
        with transaction.atomic(), connection.cursor() as cursor:
            if django_loader:
                register_tzloader(connection.timezone, cursor.cursor)
            cursor.execute("SELECT %s::timestamptz", [value])
            with pytest.raises(DataError) as raised:
                cursor.fetchall()
            errors.append(str(raised.value))

    assert errors[0] == errors[1]


@pytest.mark.django_db
def test_a_model_read_gets_aware_utc_datetimes(tenant):
    from tenants.models import Tenant

    created = Tenant.objects.get(pk=tenant.pk).created_at

    assert created.tzinfo is connection.timezone
    assert created == tenant.created_at
