# Sourced by the ticket bench scripts: point Django at the bench database (the dev one stays
# small) and create, migrate and seed it unless the data is already there.
#
# Env: BENCH_DB (tenantdesk_bench), BENCH_DATABASE_URL / BENCH_DATABASE_OWNER_URL (override
# both URLs).
BENCH_DB="${BENCH_DB:-tenantdesk_bench}"
export DATABASE_URL="${BENCH_DATABASE_URL:-postgres://tenantdesk_app:tenantdesk_app@127.0.0.1:5432/$BENCH_DB}"
export DATABASE_OWNER_URL="${BENCH_DATABASE_OWNER_URL:-postgres://tenantdesk_owner:tenantdesk_owner@127.0.0.1:5432/$BENCH_DB}"

# bench_db_ready: create the database if missing and migrate it.
bench_db_ready() {
  echo "== database $BENCH_DB: create if missing, migrate" >&2
  .venv/bin/python scripts/db_bootstrap.py >&2
  DEBUG=1 .venv/bin/python manage.py migrate --verbosity 0 >&2
}

# bench_seed PREFIX TENANTS TICKETS [COMMENTS]: seed <PREFIX>-1..TENANTS with TICKETS tickets
# each (COMMENTS comments per ticket, default 2) unless they hold that many already.
bench_seed() {
  echo "== seed $2 x $3 tickets ($1-*) unless present; load: $(uptime)" >&2
  DEBUG=1 .venv/bin/python manage.py seed_bench --skip-if-seeded --prefix "$1" \
    --tenants "$2" --tickets-per-tenant "$3" --comments-per-ticket "${4:-2}" >&2
}
