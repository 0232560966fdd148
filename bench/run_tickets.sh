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
TENANTS="${TENANTS:-1}"
TICKETS="${TICKETS:-10000}"
COMMENTS="${COMMENTS:-2}"
PREFIX="${PREFIX:-bench10k}"
MEASURE="${MEASURE:-$PREFIX-1}"
source bench/bench_db.sh
bench_db_ready
bench_seed "$PREFIX" "$TENANTS" "$TICKETS" "$COMMENTS"

source bench/server.sh
start_server
echo "== measure $MEASURE; load: $(uptime)" >&2
TENANT_ARGS=()
for slug in $MEASURE; do TENANT_ARGS+=(--tenant "$slug"); done
.venv/bin/python bench/tickets_bench.py --base-url "http://127.0.0.1:$PORT" "${TENANT_ARGS[@]}" "$@"
echo "== done; load: $(uptime)" >&2
