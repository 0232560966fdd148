#!/usr/bin/env bash
# Seed (if needed) and benchmark the knowledge base and the public help center on the bench
# database: TENANTS (2) tenants of ARTICLES (10,000) articles each, prefix PREFIX (kb10k).
#
#   bench/run_kb.sh                     # seed once, then measure every tenant
#   bench/run_kb.sh --requests 1000     # extra args go to bench/kb.py
#
# Env: BENCH_DB (tenantdesk_bench), TENANTS, ARTICLES, PREFIX, BENCH_PORT, BENCH_WORKERS.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DB="${BENCH_DB:-tenantdesk_bench}"
TENANTS="${TENANTS:-2}"
ARTICLES="${ARTICLES:-10000}"
PREFIX="${PREFIX:-kb10k}"
export DATABASE_URL="${BENCH_DATABASE_URL:-postgres://tenantdesk_app:tenantdesk_app@127.0.0.1:5432/$BENCH_DB}"
export DATABASE_OWNER_URL="${BENCH_DATABASE_OWNER_URL:-postgres://tenantdesk_owner:tenantdesk_owner@127.0.0.1:5432/$BENCH_DB}"

echo "== database $BENCH_DB: create if missing, migrate" >&2
.venv/bin/python scripts/db_bootstrap.py >&2
DEBUG=1 .venv/bin/python manage.py migrate --verbosity 0 >&2
echo "== seed $TENANTS x $ARTICLES articles ($PREFIX-*) unless present; load: $(uptime)" >&2
DEBUG=1 .venv/bin/python bench/kb.py --seed --prefix "$PREFIX" --tenants "$TENANTS" \
  --articles "$ARTICLES" >&2

source bench/server.sh
# The help center's public quota would turn the measurement into 429s (one client address).
export THROTTLE_PUBLIC_RATE=10000000/min
start_server
echo "== measure; load: $(uptime)" >&2
.venv/bin/python bench/kb.py --base-url "http://127.0.0.1:$PORT" --prefix "$PREFIX" \
  --tenants "$TENANTS" "$@"
echo "== done; load: $(uptime)" >&2
