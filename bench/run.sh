#!/usr/bin/env bash
# Benchmark the API as deployed (gunicorn, DEBUG off) against the demo data.
# Usage: make bench-demo, or bench/run.sh [extra api_bench.py args] (after `make seed` once)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/server.sh
start_server
.venv/bin/python bench/api_bench.py --base-url "http://127.0.0.1:$PORT" "$@"
