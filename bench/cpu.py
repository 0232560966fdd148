"""CPU and wall time per request, in-process, on the bench database (no HTTP, no client).

    .venv/bin/python bench/cpu.py [floor|list|detail|create ...] [--requests 300]

Runs each request through Django's test client with the settings the bench server uses
(DEBUG off, quotas out of the way) against `tenantdesk_bench` (seed it first: `make bench`
does). Prints `time.process_time` and wall time per request for three repetitions, so a
change to the request path can be measured on its own, without the HTTP client sharing the
machine's two cores. `create` adds tickets to bench10k-1.
"""

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = os.environ.get("BENCH_DB", "tenantdesk_bench")
os.environ.setdefault(
    "DATABASE_URL", f"postgres://tenantdesk_app:tenantdesk_app@127.0.0.1:5432/{DB}"
)
os.environ.setdefault(
    "DATABASE_OWNER_URL", f"postgres://tenantdesk_owner:tenantdesk_owner@127.0.0.1:5432/{DB}"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("SECRET_KEY", "bench-cpu-" + uuid.uuid4().hex * 2)
for name, value in {
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "ALLOWED_HOSTS": "testserver",
    "LOG_LEVEL": "WARNING",
    "THROTTLE_USER_RATE": "10000000/min",
    "THROTTLE_TENANT_RATE": "10000000/min",
    "THROTTLE_ANON_RATE": "10000000/min",
    "THROTTLE_LOGIN_RATE": "10000/min",
    "THROTTLE_LOGIN_ACCOUNT_RATE": "10000/hour",
}.items():
    os.environ.setdefault(name, value)
if "FIELD_ENCRYPTION_KEYS" not in os.environ:
    from cryptography.fernet import Fernet

    os.environ["FIELD_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

TENANT = "bench10k-1"
BASE = f"/api/v1/t/{TENANT}"


def _requests(client: Client, auth: dict) -> dict:
    def create():
        body = {"subject": "CPU", "customer_email": "cpu@example.test", "tags": ["x"]}
        return client.post(
            f"{BASE}/tickets/",
            json.dumps(body),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            **auth,
        )

    return {
        "floor": lambda: client.get("/api/v1/auth/me/", **auth),
        "list": lambda: client.get(f"{BASE}/tickets/?page_size=25", **auth),
        "detail": lambda: client.get(f"{BASE}/tickets/5000/", **auth),
        "create": create,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="*", default=["floor", "list", "detail", "create"])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    client = Client()
    token = client.post(
        "/api/v1/auth/token/",
        {"email": f"agent1@{TENANT}.test", "password": "bench-password-1"},
        content_type="application/json",
    ).json()["token"]
    calls = _requests(client, {"HTTP_AUTHORIZATION": f"Bearer {token}"})
    for what in args.what:
        call = calls[what]
        for _ in range(30):  # warm-up: imports, compiled queries, connections
            assert call().status_code < 300
        runs = []
        for _ in range(3):
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(args.requests):
                call()
            n = args.requests
            runs.append(
                f"{(time.process_time() - cpu) / n * 1000:.2f} / "
                f"{(time.perf_counter() - wall) / n * 1000:.2f}"
            )
        print(f"{what:7s} ms per request, CPU / wall: " + ", ".join(runs))


if __name__ == "__main__":
    main()
