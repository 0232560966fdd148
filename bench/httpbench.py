"""The HTTP machinery of the benchmarks: log in, fire one scenario from N threads, report.

Each scenario is run by `concurrency` threads, each with its own keep-alive connection, for
`requests` requests in total after a short warm-up. A scenario's path, body and headers may be
functions of the request's sequence number, so every request can carry its own
Idempotency-Key or read another ticket.
"""

import http.client
import itertools
import json
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

Value = str | Callable[[int], str]


@dataclass
class Scenario:
    name: str
    path: Value
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: Callable[[int], dict] | None = None
    # Extra headers computed per request (e.g. a fresh Idempotency-Key).
    per_request_headers: Callable[[int], dict[str, str]] | None = None


@dataclass
class Result:
    requests: int
    errors: int
    rps: float
    p50: float
    p95: float
    p99: float
    first_error: str = ""


def parse_base(url: str) -> SplitResult:
    return urlsplit(url)


def connect(base: SplitResult) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(base.hostname, base.port or 80, timeout=60)


def request_json(base, method: str, path: str, headers=None, body=None) -> tuple[int, object]:
    """One request on a fresh connection; returns (status, decoded JSON or text)."""
    conn = connect(base)
    payload = None if body is None else json.dumps(body)
    all_headers = {**(headers or {}), **({"Content-Type": "application/json"} if body else {})}
    conn.request(method, path, payload, all_headers)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, raw.decode(errors="replace")


def login(base: SplitResult, email: str, password: str) -> str:
    status, payload = request_json(
        base, "POST", "/api/v1/auth/token/", body={"email": email, "password": password}
    )
    if status != 200:
        raise SystemExit(f"login failed: {status} {payload}")
    return payload["token"]


def _resolve(value: Value, sequence: int) -> str:
    return value(sequence) if callable(value) else value


def _worker(base, scenario: Scenario, sequences, latencies, errors, lock):
    conn = connect(base)
    local, failed, first_error = [], 0, ""
    for sequence in sequences:
        headers = dict(scenario.headers)
        payload = None
        if scenario.body is not None:
            payload = json.dumps(scenario.body(sequence))
            headers["Content-Type"] = "application/json"
        if scenario.per_request_headers is not None:
            headers.update(scenario.per_request_headers(sequence))
        path = _resolve(scenario.path, sequence)
        started = time.perf_counter()
        conn.request(scenario.method, path, payload, headers)
        response = conn.getresponse()
        body = response.read()
        local.append(time.perf_counter() - started)
        if not 200 <= response.status < 300:
            failed += 1
            first_error = first_error or f"{response.status} {body[:200]!r}"
    conn.close()
    with lock:
        latencies.extend(local)
        errors.append((failed, first_error))


@dataclass
class Samples:
    """What one run of a scenario measured: every latency (seconds), the wall time of the
    measured part, and its non-2xx responses."""

    latencies: list[float]
    elapsed: float
    errors: int
    first_error: str = ""


def measure(
    base: SplitResult,
    scenario: Scenario,
    *,
    concurrency: int,
    requests: int,
    warmup: int = 20,
    counter: itertools.count | None = None,
) -> Samples:
    """Warm up on one connection, then run `requests` requests from `concurrency` threads."""
    counter = counter or itertools.count()
    lock = threading.Lock()
    _worker(base, scenario, [next(counter) for _ in range(warmup)], [], [], lock)
    latencies: list[float] = []
    errors: list[tuple[int, str]] = []
    per_thread = max(1, requests // concurrency)
    threads = [
        threading.Thread(
            target=_worker,
            args=(
                base,
                scenario,
                [next(counter) for _ in range(per_thread)],
                latencies,
                errors,
                lock,
            ),
        )
        for _ in range(concurrency)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return Samples(
        latencies=latencies,
        elapsed=elapsed,
        errors=sum(failed for failed, _ in errors),
        first_error=next((error for _, error in errors if error), ""),
    )


def summarize(*runs: Samples) -> Result:
    """One Result over one or more runs of a scenario: percentiles over all their latencies,
    req/s as all their requests over the sum of their wall times."""
    latencies = [latency for run in runs for latency in run.latencies]
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return Result(
        requests=len(latencies),
        errors=sum(run.errors for run in runs),
        rps=len(latencies) / sum(run.elapsed for run in runs),
        p50=q[49] * 1000,
        p95=q[94] * 1000,
        p99=q[98] * 1000,
        first_error=next((run.first_error for run in runs if run.first_error), ""),
    )


def run_scenario(
    base: SplitResult,
    scenario: Scenario,
    *,
    concurrency: int,
    requests: int,
    warmup: int = 20,
    counter: itertools.count | None = None,
) -> Result:
    """Warm up on one connection, then run `requests` requests from `concurrency` threads."""
    return summarize(
        measure(
            base,
            scenario,
            concurrency=concurrency,
            requests=requests,
            warmup=warmup,
            counter=counter,
        )
    )


TABLE_HEADER = (
    "| scenario | req/s | p50 ms | p95 ms | p99 ms | non-2xx |\n|---|---:|---:|---:|---:|---:|"
)


def table_row(name: str, result: Result) -> str:
    return (
        f"| {name} | {result.rps:.0f} | {result.p50:.1f} | {result.p95:.1f} | "
        f"{result.p99:.1f} | {result.errors} |"
    )
