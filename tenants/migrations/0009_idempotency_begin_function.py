"""tenants_idempotency_begin: an idempotent POST's advisory lock and record lookup in one
round trip (issue "performance and scale-out": statements per create).

Two statements before: `SELECT pg_try_advisory_xact_lock(...)`, then the lookup. One SQL
statement doing both would read with a snapshot taken before the lock was granted, so a twin
that committed its record in between would go unseen. A VOLATILE PL/pgSQL function takes a
fresh snapshot for each statement it runs (READ COMMITTED), so the lookup here sees every
record committed before the lock was granted, as the second statement did.

SECURITY INVOKER (the default): it runs as the runtime role, under the record table's
row-level security, and reads the current tenant's rows only.
"""

from django.db import migrations

BEGIN_FUNCTION = """
CREATE FUNCTION tenants_idempotency_begin(lock_id bigint, tenant bigint, who text, idem_key text)
RETURNS TABLE (locked boolean, id bigint, fingerprint varchar, expires_at timestamptz,
               response_status smallint, response_body jsonb, response_headers jsonb)
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  IF NOT pg_catalog.pg_try_advisory_xact_lock(lock_id) THEN
    RETURN QUERY SELECT false, NULL::bigint, NULL::varchar, NULL::timestamptz,
                        NULL::smallint, NULL::jsonb, NULL::jsonb;
    RETURN;
  END IF;
  -- A new statement, so a new snapshot: it sees what committed before the lock was granted.
  RETURN QUERY SELECT true, r.id, r.fingerprint, r.expires_at, r.response_status,
                      r.response_body, r.response_headers
                 FROM public.tenants_idempotencyrecord r
                WHERE r.tenant_id = tenant AND r.principal = who AND r.key = idem_key;
  IF NOT FOUND THEN
    RETURN QUERY SELECT true, NULL::bigint, NULL::varchar, NULL::timestamptz,
                        NULL::smallint, NULL::jsonb, NULL::jsonb;
  END IF;
END
$$
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0008_tenant_leading_indexes")]

    operations = [
        migrations.RunSQL(
            BEGIN_FUNCTION,
            "DROP FUNCTION tenants_idempotency_begin(bigint, bigint, text, text)",
        )
    ]
