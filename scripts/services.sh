#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer, then create the database roles and database.
# Order of attempts: already running -> start the locally installed server -> docker compose.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

pg_up() { $PY - <<'PY' >/dev/null 2>&1
import os, psycopg
psycopg.connect(os.environ.get("PG_SUPERUSER_URL", "postgres://postgres@127.0.0.1:5432/postgres"), connect_timeout=2).close()
PY
}
redis_up() { $PY - <<'PY' >/dev/null 2>&1
import os, redis
redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), socket_connect_timeout=2).ping()
PY
}
docker_ok() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }
wait_for() { for _ in $(seq 1 30); do "$1" && return 0; sleep 1; done; return 1; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
    echo "services: starting local PostgreSQL"
    for v in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$v" main start || true; done
  elif docker_ok; then
    echo "services: starting PostgreSQL with docker compose"
    docker compose up -d postgres
  fi
  wait_for pg_up || { echo "services: PostgreSQL is not reachable. Install PostgreSQL 15+ (or Docker) or set PG_SUPERUSER_URL/DATABASE_URL." >&2; exit 1; }
fi

if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "services: starting local Redis"
    mkdir -p /tmp/tenantdesk-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp/tenantdesk-redis --logfile /tmp/tenantdesk-redis/redis.log
  elif docker_ok; then
    echo "services: starting Redis with docker compose"
    docker compose up -d redis
  fi
  wait_for redis_up || { echo "services: Redis is not reachable. Install Redis 7 (or Docker) or set REDIS_URL." >&2; exit 1; }
fi

$PY scripts/db_bootstrap.py
