"""HTTP benchmark of a running Tenantdesk server: requests/s and latency percentiles.

Run it through bench/run.sh (which starts gunicorn on the current database), or directly:
    .venv/bin/python bench/api_bench.py --base-url http://127.0.0.1:8000 --tenant acme \
        --email admin@acme.test --password demo-password-1 --concurrency 4 --requests 2000

Each scenario is run by `--concurrency` threads, each with its own keep-alive connection, for
`--requests` requests in total after a short warm-up. Output: a markdown table.
"""

import argparse
import http.client
import json
import statistics
import threading
import time
from urllib.parse import urlsplit


def _login(base: urlsplit, email: str, password: str) -> str:
    conn = http.client.HTTPConnection(base.hostname, base.port or 80, timeout=30)
    body = json.dumps({"email": email, "password": password})
    conn.request("POST", "/api/v1/auth/token/", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    payload = json.loads(response.read())
    if response.status != 200:
        raise SystemExit(f"login failed: {response.status} {payload}")
    return payload["token"]


def _worker(base, path, headers, count, latencies, errors, lock):
    conn = http.client.HTTPConnection(base.hostname, base.port or 80, timeout=30)
    local, failed = [], 0
    for _ in range(count):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        local.append(time.perf_counter() - started)
        failed += response.status >= 400
    conn.close()
    with lock:
        latencies.extend(local)
        errors[0] += failed


def run_scenario(base, path, headers, *, concurrency, requests, warmup=50):
    lock = threading.Lock()
    _worker(base, path, headers, warmup, [], [0], lock)
    latencies: list[float] = []
    errors = [0]
    per_thread = max(1, requests // concurrency)
    threads = [
        threading.Thread(
            target=_worker, args=(base, path, headers, per_thread, latencies, errors, lock)
        )
        for _ in range(concurrency)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "rps": len(latencies) / elapsed,
        "p50": q[49] * 1000,
        "p95": q[94] * 1000,
        "p99": q[98] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--tenant", default="acme")
    parser.add_argument("--email", default="admin@acme.test")
    parser.add_argument("--password", default="demo-password-1")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()

    base = urlsplit(args.base_url)
    auth = {"Authorization": f"Bearer {_login(base, args.email, args.password)}"}
    t = f"/api/v1/t/{args.tenant}"
    scenarios = [
        ("GET /healthz (no DB)", "/healthz", {}),
        ("GET auth/me/ (token, memberships)", "/api/v1/auth/me/", auth),
        ("GET t/<slug>/ (token, tenant+membership, RLS context)", f"{t}/", auth),
        ("GET t/<slug>/members/ (list)", f"{t}/members/", auth),
        ("GET t/<slug>/audit-log/ (RLS table, 25/page)", f"{t}/audit-log/?page_size=25", auth),
        ("GET t/<other>/ (not a member: 404)", "/api/v1/t/no-such-tenant/", auth),
    ]
    print(
        f"concurrency {args.concurrency}, {args.requests} requests per scenario, {args.base_url}\n"
    )
    print("| scenario | req/s | p50 ms | p95 ms | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, path, headers in scenarios:
        r = run_scenario(base, path, headers, concurrency=args.concurrency, requests=args.requests)
        print(
            f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} "
            f"| {r['errors']} |"
        )


if __name__ == "__main__":
    main()
