#!/usr/bin/env bash
# Serve the API with a Celery worker and beat in one foreground command; Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DEBUG="${DEBUG:-1}"
# Local development: webhooks and CRM calls may reach a receiver on this machine over plain
# http (production never allows either; `manage.py check --deploy` refuses them).
export OUTBOUND_ALLOW_LOOPBACK="${OUTBOUND_ALLOW_LOOPBACK:-1}"
export OUTBOUND_ALLOW_HTTP="${OUTBOUND_ALLOW_HTTP:-1}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

trap 'trap - INT TERM EXIT; kill 0 2>/dev/null; wait' INT TERM EXIT

cat <<MSG

  Tenantdesk is starting
    API           http://$HOST:$PORT/api/v1/
    Browsable     http://$HOST:$PORT/api/v1/t/acme/   (log in at /api-auth/login/)
    API docs      http://$HOST:$PORT/api/docs/
    Admin         http://$HOST:$PORT/admin/
    Health        http://$HOST:$PORT/healthz  http://$HOST:$PORT/readyz

  Demo logins (password for all: demo-password-1)
    owner@acme.test  admin@acme.test  supervisor@acme.test  agent@acme.test  viewer@acme.test
    owner@globex.test … viewer@globex.test       platform staff: staff@tenantdesk.test

MSG

$PY -m celery -A config worker --loglevel=INFO --concurrency=2 &
$PY -m celery -A config beat --loglevel=INFO --schedule=/tmp/tenantdesk-celerybeat-schedule &
$PY manage.py runserver "$HOST:$PORT" --noreload &
wait -n
