# Sourced by the bench scripts: start gunicorn as deployed (DEBUG off) on $PORT, stop it on exit.
# Uses whatever DATABASE_URL / DATABASE_OWNER_URL are exported.
PORT="${BENCH_PORT:-8099}"
WORKERS="${BENCH_WORKERS:-2}"
export SECRET_KEY="${SECRET_KEY:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')}"
# Required with DEBUG off (config/settings/base.py); the bench stores no secrets worth keeping.
export FIELD_ENCRYPTION_KEYS="${FIELD_ENCRYPTION_KEYS:-$(.venv/bin/python -c \
  'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')}"
export DEBUG=0 SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 \
  ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING
# Quotas would turn the measurement into 429s; throttling itself still runs (Redis).
export THROTTLE_USER_RATE=10000000/min THROTTLE_TENANT_RATE=10000000/min \
  THROTTLE_ANON_RATE=10000000/min THROTTLE_LOGIN_RATE=10000/min \
  THROTTLE_LOGIN_ACCOUNT_RATE=10000/hour

start_server() {
  .venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
    --log-level warning &
  GUNICORN=$!
  trap 'kill $GUNICORN 2>/dev/null; wait $GUNICORN 2>/dev/null' EXIT
  for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return 0
    sleep 0.2
  done
  echo "gunicorn did not come up on port $PORT" >&2
  return 1
}
