#!/usr/bin/env bash
# `make bench`: the ticket API as ratios to a floor measured in the same run (issue 13).
#
#   bench/run_floor.sh                      # bench10k-1, 2 workers, concurrency 4
#   SEARCH250K=1 bench/run_floor.sh         # also search p95 in a 250k-ticket tenant
#   bench/run_floor.sh --requests 2000      # extra args go to bench/floor_bench.py
#
# Seeds (unless present) as bench/run_tickets.sh does, on the bench database: bench10k-1
# (1 x 10,000 tickets: list, detail, create), benchcreate-1..4 (4 x 10,000: create in one
# tenant vs spread over four) and with SEARCH250K=1 bench250k-1 (1 x 250,000, ~2 min to seed
# the first time). Then starts gunicorn as deployed (bench/server.sh) and runs
# bench/floor_bench.py. Env: BENCH_DB, BENCH_PORT, BENCH_WORKERS (2), SEARCH250K.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/bench_db.sh
bench_db_ready
bench_seed bench10k 1 10000
bench_seed benchcreate 4 10000
SEARCH_ARGS=()
if [ "${SEARCH250K:-0}" = 1 ]; then
  bench_seed bench250k 1 250000
  SEARCH_ARGS=(--search-tenant bench250k-1)
fi

source bench/server.sh
start_server
echo "== gunicorn: $WORKERS workers, code in $(pwd); load: $(uptime)" >&2
.venv/bin/python bench/floor_bench.py --base-url "http://127.0.0.1:$PORT" --tenant bench10k-1 \
  "${SEARCH_ARGS[@]}" "$@"
echo "== done; load: $(uptime)" >&2
