"""Ticket API throughput as a ratio to a floor measured in the same run (issue 13).

    .venv/bin/python bench/floor_bench.py --base-url http://127.0.0.1:8099 --tenant bench10k-1

Run it through `make bench` (bench/run_floor.sh seeds the data and starts gunicorn as
deployed). The floor is `GET /api/v1/auth/me/` with the same bearer token and no tenant work:
what any authenticated request costs on this machine at this moment. Absolute req/s swing with
whatever else the machine runs; a ratio to a floor measured next to it mostly does not.

Every scenario is cut into `--rounds` chunks, and the run goes round-robin: floor, list
chunk, floor, detail chunk, floor, create chunk, …, floor. So each chunk has a floor chunk
right before and right after it, and a change of machine load during the run hits every
scenario alike. A scenario's ratio is its req/s over the req/s of the floor chunks adjacent to
its own chunks (both sides). Percentiles are over all of a scenario's requests.

Scenarios (the first three at `--concurrency`):
- the ticket list's first page (25), detail of random tickets, create (fresh Idempotency-Key
  each) in `--tenant`;
- create at `--create-concurrency` (8) in ONE tenant (`--create-tenants`' first) and the same
  load round-robin over all `--create-tenants` (4), one after the other in each round. Creates
  take a per-tenant lock (the ticket number counter row, held until commit): if creates in a
  tenant were serialized, the one-tenant throughput would fall below the spread one. Their
  ratio (one / spread) is the scaling verdict; near 1 means no serialization visible.
- with `--search-tenant` (SEARCH250K=1 in bench/run_floor.sh): `search=<word>` for each
  `--search` word (default `invoice`, common, and `e1234`, rare; bench/SEARCH.md) in that
  tenant, goal p95 under 50 ms.

Every row is also held to p99 under 4x its p50. Prints a markdown table, the machine load
before and after, and the git commit being served; exits 1 on any non-2xx response.
"""

import argparse
import itertools
import os
import random
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field

from httpbench import Samples, Scenario, login, measure, parse_base, request_json, summarize

P99_OVER_P50 = 4.0
SEARCH_P95_MS = 50.0


@dataclass
class Row:
    """One measured scenario: its chunks, the floor chunks next to them, its goals."""

    scenario: Scenario
    concurrency: int
    min_ratio: float | None = None  # req/s over the adjacent floor's
    max_p95: float | None = None  # ms
    scaling: str = ""  # "one" / "spread": the two sides of the create scaling ratio
    chunks: list[Samples] = field(default_factory=list)
    floors: list[Samples] = field(default_factory=list)


def _get(base, path: str, auth: dict) -> dict:
    status, payload = request_json(base, "GET", path, headers=auth)
    if status != 200:
        raise SystemExit(f"GET {path}: {status} {payload}")
    return payload


def _auth(base, tenant: str, password: str) -> dict:
    return {"Authorization": f"Bearer {login(base, f'owner@{tenant}.test', password)}"}


def _top_number(base, tenant: str, auth: dict) -> int:
    newest = _get(base, f"/api/v1/t/{tenant}/tickets/?page_size=1", auth)["results"]
    if not newest:
        raise SystemExit(f"tenant {tenant} has no tickets: run manage.py seed_bench first")
    return newest[0]["number"]


def _create_body(sequence: int) -> dict:
    return {
        # Words outside the seed vocabulary, so creates never change what search finds.
        "subject": f"Benchmark probe {sequence}",
        "description": "Posted by the floor benchmark.",
        "customer_email": f"bench-requester-{sequence % 20}@example.test",
        "priority": ("low", "medium", "high", "critical")[sequence % 4],
        "tags": ["bench-probe"],
    }


def _create(name: str, tenants: list[str], auths: list[dict]) -> Scenario:
    """POST tickets/ with a fresh Idempotency-Key, request n going to tenants[n % len]."""

    def path(sequence: int) -> str:
        return f"/api/v1/t/{tenants[sequence % len(tenants)]}/tickets/"

    def headers(sequence: int) -> dict[str, str]:
        return {**auths[sequence % len(auths)], "Idempotency-Key": str(uuid.uuid4())}

    return Scenario(name, path, method="POST", body=_create_body, per_request_headers=headers)


def _rows(base, args) -> tuple[Scenario, list[Row], list[str]]:
    """Log in and build the floor and the scenarios (setup requests, not measured)."""
    auth = _auth(base, args.tenant, args.password)
    tickets = f"/api/v1/t/{args.tenant}/tickets/"
    rng = random.Random(7)
    top = _top_number(base, args.tenant, auth)
    numbers = [rng.randint(1, top) for _ in range(100_000)]
    floor = Scenario(
        "floor: GET auth/me/ (same token, no tenant)", "/api/v1/auth/me/", headers=auth
    )
    _get(base, floor.path, auth)
    notes = [f"{args.tenant}: {top} tickets at the start"]
    rows = [
        Row(
            Scenario("GET tickets/ (first page, 25)", tickets, headers=auth), args.concurrency, 0.5
        ),
        Row(
            Scenario(
                "GET tickets/<number>/ (random detail)",
                lambda sequence: f"{tickets}{numbers[sequence % len(numbers)]}/",
                headers=auth,
            ),
            args.concurrency,
            0.6,
        ),
        Row(_create("POST tickets/ (create)", [args.tenant], [auth]), args.concurrency, 0.35),
    ]
    spread = args.create_tenants
    if spread:
        auths = [_auth(base, tenant, args.password) for tenant in spread]
        for tenant, tenant_auth in zip(spread, auths, strict=True):
            notes.append(f"{tenant}: {_top_number(base, tenant, tenant_auth)} tickets at the start")
        conc = args.create_concurrency
        one = _create(f"POST tickets/ c{conc}, 1 tenant", spread[:1], auths[:1])
        rows.append(Row(one, conc, scaling="one"))
        many = _create(f"POST tickets/ c{conc}, {len(spread)} tenants", spread, auths)
        rows.append(Row(many, conc, scaling="spread"))
    if args.search_tenant:
        search_auth = _auth(base, args.search_tenant, args.password)
        search_top = _top_number(base, args.search_tenant, search_auth)
        notes.append(f"{args.search_tenant}: {search_top} tickets at the start")
        listing = f"/api/v1/t/{args.search_tenant}/tickets/"
        unfiltered = [t["number"] for t in _get(base, listing, search_auth)["results"]]
        for word in args.search:
            path = f"{listing}?search={word}"
            found = _get(base, path, search_auth)["results"]
            if [t["number"] for t in found] == unfiltered:
                notes.append(f"search={word} returned the unfiltered first page")
            name = f"GET tickets/?search={word} ({search_top // 1000}k tenant)"
            rows.append(
                Row(
                    Scenario(name, path, headers=search_auth), args.concurrency, None, SEARCH_P95_MS
                )
            )
    return floor, rows, notes


def _run(base, floor: Scenario, rows: list[Row], args) -> list[Samples]:
    """Round-robin: floor, chunk, floor, chunk, …, floor; returns every floor chunk."""
    counter = itertools.count()
    per_chunk = args.requests // args.rounds
    floors: list[Samples] = []

    def floor_chunk(warmup: int) -> Samples:
        samples = measure(
            base,
            floor,
            concurrency=args.concurrency,
            requests=per_chunk,
            warmup=warmup,
            counter=counter,
        )
        floors.append(samples)
        return samples

    before = floor_chunk(args.warmup)
    for round_number in range(args.rounds):
        warmup = args.warmup if round_number == 0 else 0
        for row in rows:
            samples = measure(
                base,
                row.scenario,
                concurrency=row.concurrency,
                requests=per_chunk,
                warmup=warmup,
                counter=counter,
            )
            after = floor_chunk(0)
            row.chunks.append(samples)
            row.floors.extend([before, after])
            before = after
            print(
                f"round {round_number + 1}/{args.rounds} {row.scenario.name}: "
                f"{len(samples.latencies) / samples.elapsed:.0f} req/s "
                f"(floor {len(after.latencies) / after.elapsed:.0f}), load "
                f"{os.getloadavg()[0]:.2f}",
                file=sys.stderr,
                flush=True,
            )
    return floors


def _verdict(checks: list[tuple[bool, str]]) -> str:
    misses = [what for ok, what in checks if not ok]
    return "PASS" if not misses else "MISS (" + ", ".join(misses) + ")"


def _commit() -> str:
    """The commit served, the last commit that changed anything outside bench/ and the Makefile
    (the code the server runs), and whether the tracked files differ from the commit."""

    def git(*command: str) -> str:
        return subprocess.run(
            ["git", *command], capture_output=True, text=True, check=False
        ).stdout.strip()

    head = f"{git('rev-parse', '--short', 'HEAD')} ({git('rev-parse', '--abbrev-ref', 'HEAD')})"
    app = git("log", "-1", "--format=%h %cs", "--", ".", ":!bench", ":!Makefile")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{head}, application code as of {app}" + (", uncommitted changes" if dirty else "")


def _table(floor_result, rows: list[Row], args) -> tuple[list[str], bool]:
    lines = [
        "| scenario | conc. | req/s | p50 ms | p95 ms | p99 ms | p99/p50 | non-2xx "
        "| req/s ÷ adjacent floor | goal | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    ok = True

    def line(name, conc, result, ratio, goal, checks) -> None:
        nonlocal ok
        checks = [*checks, (result.p99 < P99_OVER_P50 * result.p50, "p99")]
        checks.append((result.errors == 0, "non-2xx"))
        verdict = _verdict(checks)
        ok = ok and verdict == "PASS"
        lines.append(
            f"| {name} | {conc} | {result.rps:.0f} | {result.p50:.1f} | {result.p95:.1f} | "
            f"{result.p99:.1f} | {result.p99 / result.p50:.2f} | {result.errors} | "
            f"{ratio} | {goal} | {verdict} |"
        )

    p99_goal = f"p99 < {P99_OVER_P50:.0f}x p50"
    line(floor_result[0], args.concurrency, floor_result[1], "1", p99_goal, [])
    results = {}
    for row in rows:
        result = summarize(*row.chunks)
        results[row.scenario.name] = result
        ratio = result.rps / summarize(*row.floors).rps
        goals, checks = [], []
        if row.min_ratio is not None:
            goals.append(f"≥ {row.min_ratio:.2f}x floor")
            checks.append((ratio >= row.min_ratio, "ratio"))
        if row.max_p95 is not None:
            goals.append(f"p95 < {row.max_p95:.0f} ms")
            checks.append((result.p95 < row.max_p95, "p95"))
        goal = "; ".join([*goals, p99_goal])
        line(row.scenario.name, row.concurrency, result, f"{ratio:.2f}x", goal, checks)

    scaling = {row.scaling: row for row in rows if row.scaling}
    if len(scaling) == 2:
        one, spread = (results[scaling[side].scenario.name] for side in ("one", "spread"))
        ratio = one.rps / spread.rps
        verdict = _verdict([(ratio >= args.min_scaling, "ratio")])
        ok = ok and verdict == "PASS"
        lines.append(
            f"| create c{args.create_concurrency}: 1 tenant ÷ {len(args.create_tenants)} tenants "
            f"| | | p50 {one.p50 / spread.p50:.2f}x | p95 {one.p95 / spread.p95:.2f}x | | | | "
            f"**{ratio:.2f}x** (req/s) | ≥ {args.min_scaling:.2f}x | {verdict} |"
        )
    return lines, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8099")
    parser.add_argument("--tenant", default="bench10k-1", help="list, detail and create")
    parser.add_argument("--password", default="bench-password-1", help="of owner@<tenant>.test")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=1000, help="per scenario, all rounds")
    parser.add_argument("--rounds", type=int, default=5, help="chunks per scenario")
    parser.add_argument("--warmup", type=int, default=20, help="per scenario, first round only")
    parser.add_argument(
        "--create-tenants",
        nargs="*",
        default=[f"benchcreate-{index}" for index in range(1, 5)],
        help="create scaling: one tenant (the first) vs all of them; none to skip",
    )
    parser.add_argument("--create-concurrency", type=int, default=8)
    parser.add_argument(
        "--min-scaling",
        type=float,
        default=0.85,
        help="goal for create req/s in 1 tenant over create req/s spread over all",
    )
    parser.add_argument("--search-tenant", default=None, help="e.g. bench250k-1")
    parser.add_argument("--search", nargs="*", default=["invoice", "e1234"], help="words")
    args = parser.parse_args()
    if args.requests < args.rounds * args.create_concurrency:
        parser.error("--requests too small for --rounds and --create-concurrency")

    base = parse_base(args.base_url)
    floor, rows, notes = _rows(base, args)
    load_before, started = os.getloadavg(), time.strftime("%Y-%m-%d %H:%M:%S %Z")
    floors = _run(base, floor, rows, args)
    load_after, finished = os.getloadavg(), time.strftime("%H:%M:%S %Z")
    floor_result = (floor.name, summarize(*floors))

    lines, ok = _table(floor_result, rows, args)
    print(f"- commit served: {_commit()}; {args.base_url}")
    print(
        f"- {started} to {finished}; load average (1/5/15 min) before "
        f"{' / '.join(f'{v:.2f}' for v in load_before)}, after "
        f"{' / '.join(f'{v:.2f}' for v in load_after)}; {os.cpu_count()} CPUs"
    )
    print(
        f"- {args.requests} requests per scenario in {args.rounds} round-robin chunks, each "
        f"between two floor chunks of the same size; concurrency {args.concurrency}"
        + (f" (create scaling: {args.create_concurrency})" if args.create_tenants else "")
        + f"; warm-up {args.warmup} per scenario"
    )
    for note in notes:
        print(f"- {note}")
    print()
    print("\n".join(lines))
    failures = [
        f"{row.scenario.name}: {chunk.first_error}"
        for row in rows
        for chunk in row.chunks
        if chunk.first_error
    ] + [f"floor: {chunk.first_error}" for chunk in floors if chunk.first_error]
    for failure in failures:
        print(f"\n- non-2xx: {failure}")
    print(f"\nall goals met: {'yes' if ok else 'no'}")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
