#!/usr/bin/env bash
# Seed (if needed) and benchmark the ticket API on a separate database (the dev one stays small).
#
#   bench/run_tickets.sh                        # 1 tenant x 10,000 tickets (prefix bench10k)
#   TENANTS=4 TICKETS=250000 PREFIX=bench1m bench/run_tickets.sh   # 1M tickets, 250k measured
#   MEASURE="bench10k-1 bench1m-2" bench/run_tickets.sh   # measure seeded tenants interleaved
#
# Env: BENCH_DB (tenantdesk_bench), TENANTS, TICKETS (per tenant), COMMENTS (2), PREFIX,
# MEASURE (tenant slugs, space-separated; default <PREFIX>-1), BENCH_PORT, BENCH_WORKERS.
# Extra args go to bench/tickets_bench.py (e.g. --requests 2000).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DB="${BENCH_DB:-tenantdesk_bench}"
TENANTS="${TENANTS:-1}"
TICKETS="${TICKETS:-10000}"
COMMENTS="${COMMENTS:-2}"
PREFIX="${PREFIX:-bench10k}"
MEASURE="${MEASURE:-$PREFIX-1}"
export DATABASE_URL="${BENCH_DATABASE_URL:-postgres://tenantdesk_app:tenantdesk_app@127.0.0.1:5432/$BENCH_DB}"
export DATABASE_OWNER_URL="${BENCH_DATABASE_OWNER_URL:-postgres://tenantdesk_owner:tenantdesk_owner@127.0.0.1:5432/$BENCH_DB}"

echo "== database $BENCH_DB: create if missing, migrate" >&2
.venv/bin/python scripts/db_bootstrap.py >&2
DEBUG=1 .venv/bin/python manage.py migrate --verbosity 0 >&2
echo "== seed $TENANTS x $TICKETS tickets ($PREFIX-*) unless present; load: $(uptime)" >&2
DEBUG=1 .venv/bin/python manage.py seed_bench --skip-if-seeded --prefix "$PREFIX" \
  --tenants "$TENANTS" --tickets-per-tenant "$TICKETS" --comments-per-ticket "$COMMENTS" >&2

source bench/server.sh
start_server
echo "== measure $MEASURE; load: $(uptime)" >&2
TENANT_ARGS=()
for slug in $MEASURE; do TENANT_ARGS+=(--tenant "$slug"); done
.venv/bin/python bench/tickets_bench.py --base-url "http://127.0.0.1:$PORT" "${TENANT_ARGS[@]}" "$@"
echo "== done; load: $(uptime)" >&2
