#!/usr/bin/env bash
# The PgBouncer tests (tests/test_pgbouncer.py, `make test-pooled`) start a real pgbouncer in
# transaction mode to prove that tenant isolation survives server connections shared between
# clients: install Debian's package when it is missing and this machine can (Debian/Ubuntu,
# root). Only the binary is used; the packaged service is neither configured nor needed.
set -euo pipefail
PGBOUNCER="${PGBOUNCER:-/usr/sbin/pgbouncer}"
if [ -x "$PGBOUNCER" ] || command -v pgbouncer >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "pgbouncer: installing pgbouncer (Debian package)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbouncer >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbouncer >/dev/null; }
  exit 0
fi
echo "pgbouncer: the PgBouncer tests need pgbouncer; install it (Debian: apt-get install pgbouncer)" >&2
exit 1
