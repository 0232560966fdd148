#!/usr/bin/env bash
# Benchmark the API as deployed (gunicorn, DEBUG off) against the demo data.
# Usage: bench/run.sh [extra api_bench.py args]   (after `make seed` or `make run` once)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${BENCH_PORT:-8099}"
WORKERS="${BENCH_WORKERS:-2}"
export SECRET_KEY="${SECRET_KEY:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')}"
export DEBUG=0 SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 \
  ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING
# Quotas would turn the measurement into 429s; throttling itself still runs (Redis).
export THROTTLE_USER_RATE=10000000/min THROTTLE_TENANT_RATE=10000000/min THROTTLE_ANON_RATE=10000000/min
.venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
  --log-level warning &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null; wait $GUNICORN 2>/dev/null' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
.venv/bin/python bench/api_bench.py --base-url "http://127.0.0.1:$PORT" "$@"
