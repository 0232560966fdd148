#!/usr/bin/env bash
# The browser test (tests/test_browser_supervisor.py) drives Debian's chromium headless through
# chromedriver: install both when they are missing and this machine can (Debian/Ubuntu, root).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "browser: installing chromium and chromium-driver (Debian packages)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null; }
  exit 0
fi
echo "browser: chromium and chromedriver are needed by the browser test; install them (Debian: apt-get install chromium chromium-driver)" >&2
exit 1
