"""Ticket API benchmark against a running server with `manage.py seed_bench` data.

    .venv/bin/python bench/tickets_bench.py --base-url http://127.0.0.1:8099 \
        --tenant bench10k-1 --tenant bench1m-2 --password bench-password-1

Scenarios (each `--requests` requests from `--concurrency` threads, keep-alive connections):
the first list page, a deep page reached by following `next` `--deep-pages` times, a page at
the middle of the tenant (cursor built from the created_at of the middle ticket), detail of
random tickets, a filtered list, full-text search, and last create (POST with a fresh
Idempotency-Key each; subjects outside the seed vocabulary, so repeated runs change nothing
the reads measure beyond a few newer tickets). Prints a markdown table per tenant
(requests/s, p50/p95/p99 in ms, non-2xx count). With several `--tenant`s, every scenario runs
for each tenant in turn (interleaved), and a last table compares their p50 with the first's:
on a shared machine that is a fairer "does it stay flat as the tenant grows" than two runs
minutes apart.

`--sla` measures only the SLA filters of the list, `--sla-order` only the list ordered by SLA due
time (`?ordering=sla_due` first page, a page `--order-pages` on via `next`, `-sla_due`), each
right after a plain first page, with their ratios to it (bench/SLA.md).

`--search-only` measures only full-text search: each `--search` word (default `invoice`, a
feature word in a few percent of the tickets, and `e1234`, an error code in about 0.1 %)
alone and combined with `--search-filter` (default `status=pending`), so the exact join of the
search with the other filters is measured too, after a plain first page as the floor of what
any list request costs (bench/SEARCH.md).
"""

import argparse
import base64
import itertools
import random
import sys
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from httpbench import (
    TABLE_HEADER,
    Scenario,
    login,
    parse_base,
    request_json,
    run_scenario,
    table_row,
)


def _get(base, path, auth):
    status, payload = request_json(base, "GET", path, headers=auth)
    if status != 200:
        raise SystemExit(f"GET {path}: {status} {payload}")
    return payload


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _follow_next(base, first: str, pages: int, auth) -> tuple[str, int]:
    """The URL `pages` pages after `first` (following `next`), and how many were followed."""
    path = first
    for followed in range(pages):
        payload = _get(base, path, auth)
        if not payload.get("next"):
            return path, followed
        path = _path_of(payload["next"])
    return path, pages


def _cursor_at(position: str) -> str:
    """A DRF cursor (base64 of `p=<position>`) that starts right after `position`."""
    return base64.b64encode(urlencode({"p": position}).encode()).decode()


PLAIN = "GET tickets/ (plain first page)"


def _sla_scenarios(tickets: str, auth: dict) -> list:
    """`--sla`: the SLA filters of the list, each right after a plain first page (so the ratio
    compares neighbours in time). due_before is an hour from now, as at_risk's horizon."""
    soon = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    filters = ("sla_state=at_risk", "sla_state=breached", "breached=true", f"due_before={soon}")
    scenarios = []
    for query in filters:
        scenarios.append(Scenario(PLAIN, tickets, headers=auth))
        scenarios.append(Scenario(f"GET tickets/?{query}", f"{tickets}?{query}", headers=auth))
    return scenarios


def _sla_order_scenarios(base, tickets: str, auth: dict, pages: int) -> list:
    """`--sla-order`: the list ordered by SLA due time (first page, the page `pages` pages on
    via `next`, and descending), each right after a plain first page."""
    ordered = f"{tickets}?ordering=sla_due"
    later, followed = _follow_next(base, ordered, pages, auth)
    paths = [
        ("GET tickets/?ordering=sla_due (first page)", ordered),
        (f"GET tickets/?ordering=sla_due (page {followed + 1} via next)", later),
        ("GET tickets/?ordering=-sla_due (first page)", f"{tickets}?ordering=-sla_due"),
    ]
    scenarios = []
    for name, path in paths:
        scenarios.append(Scenario(PLAIN, tickets, headers=auth))
        scenarios.append(Scenario(name, path, headers=auth))
    return scenarios


def _search_scenarios(tickets: str, auth: dict, words: list[str], extra: str) -> list:
    """`--search-only`: a plain first page (the floor), then each word alone and with the
    filter `extra` (the list joins every match of the tenant, so a filter changes how far the
    walk over the ranking goes)."""
    scenarios = [Scenario(PLAIN, tickets, headers=auth)]  # the floor: no search at all
    for word in words:
        for query in (f"search={word}", f"search={word}&{extra}"):
            scenarios.append(Scenario(f"GET tickets/?{query}", f"{tickets}?{query}", headers=auth))
    return scenarios


def _sla_ratios(names: list[str], results: list) -> None:
    """Each filter's p50 and req/s against the plain list measured just before it."""
    print("\n| filter | p50 / plain p50 | p95 / plain p95 | req/s / plain req/s |")
    print("|---|---:|---:|---:|")
    for index in range(1, len(names), 2):
        plain, filtered = results[index - 1], results[index]
        print(
            f"| {names[index]} | {filtered.p50 / plain.p50:.2f}x | {filtered.p95 / plain.p95:.2f}x "
            f"| {filtered.rps / plain.rps:.2f}x |"
        )


def _scenarios(base, tenant: str, email: str, password: str, args) -> tuple[list, list, int]:
    """Log in as the tenant's owner and build its scenarios (setup requests, not measured)."""
    auth = {"Authorization": f"Bearer {login(base, email, password)}"}
    tickets = f"/api/v1/t/{tenant}/tickets/"
    newest = _get(base, f"{tickets}?page_size=1", auth)["results"]
    if not newest:
        raise SystemExit(f"tenant {tenant} has no tickets: run manage.py seed_bench first")
    top = newest[0]["number"]
    deep_path, followed = _follow_next(base, tickets, args.deep_pages, auth)
    middle = _get(base, f"{tickets}{top // 2}/", auth)
    middle_path = f"{tickets}?{urlencode({'cursor': _cursor_at(middle['created_at'])})}"
    rng = random.Random(7)
    numbers = [rng.randint(1, top) for _ in range(100_000)]

    def create_body(sequence: int) -> dict:
        return {
            # Words outside the seed vocabulary, so creates never change what search finds.
            "subject": f"Benchmark probe {sequence}",
            "description": "Posted by the ticket benchmark.",
            "customer_email": f"bench-requester-{sequence % 20}@example.test",
            "priority": ("low", "medium", "high", "critical")[sequence % 4],
            "tags": ["bench-probe"],
        }

    if args.sla:
        return _sla_scenarios(tickets, auth), [], top
    if args.sla_order:
        return _sla_order_scenarios(base, tickets, auth, args.order_pages), [], top
    if args.search_only:
        scenarios = _search_scenarios(tickets, auth, args.words, args.search_filter)
        return scenarios, _unfiltered_notes(base, tenant, tickets, auth, args.words), top
    scenarios = [
        Scenario("GET tickets/ (first page, 25)", tickets, headers=auth),
        Scenario(f"GET tickets/ (page {followed + 1} via next)", deep_path, headers=auth),
        Scenario("GET tickets/ (cursor at the middle of the tenant)", middle_path, headers=auth),
        Scenario(
            "GET tickets/<number>/ (random detail)",
            lambda sequence: f"{tickets}{numbers[sequence % len(numbers)]}/",
            headers=auth,
        ),
        Scenario(f"GET tickets/?{args.filter}", f"{tickets}?{args.filter}", headers=auth),
        *[
            Scenario(f"GET tickets/?search={word}", f"{tickets}?search={word}", headers=auth)
            for word in args.words
        ],
        # Last, so the reads above see exactly the seeded tickets.
        Scenario(
            "POST tickets/ (create, Idempotency-Key)",
            tickets,
            method="POST",
            headers=auth,
            body=create_body,
            per_request_headers=lambda _: {"Idempotency-Key": str(uuid.uuid4())},
        ),
    ]
    return scenarios, _unfiltered_notes(base, tenant, tickets, auth, args.words), top


def _unfiltered_notes(base, tenant: str, tickets: str, auth: dict, words: list[str]) -> list:
    """A search parameter the server does not know is silently ignored by django-filter: warn
    when a search returns the unfiltered first page."""
    unfiltered = [t["number"] for t in _get(base, tickets, auth)["results"]]
    notes = []
    for word in words:
        found = _get(base, f"{tickets}?search={word}", auth)["results"]
        if [t["number"] for t in found] == unfiltered:
            notes.append(f"{tenant}: search={word} returned the unfiltered first page")
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8099")
    parser.add_argument(
        "--tenant",
        action="append",
        default=None,
        help="tenant slug (repeatable: several tenants are measured interleaved, scenario by "
        "scenario, so a change in machine load hits them alike); default bench-1",
    )
    parser.add_argument("--password", default="bench-password-1", help="of owner@<tenant>.test")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--create-requests", type=int, default=None, help="default: --requests")
    parser.add_argument("--deep-pages", type=int, default=200)
    parser.add_argument("--filter", default="status=open&priority=high&tag=bug")
    parser.add_argument("--search", action="append", default=None, help="words (repeatable)")
    parser.add_argument(
        "--sla",
        action="store_true",
        help="only the SLA filters of the list, each after a plain first page (bench/SLA.md)",
    )
    parser.add_argument(
        "--sla-order",
        action="store_true",
        help="only the list ordered by SLA due time, each after a plain first page",
    )
    parser.add_argument(
        "--order-pages", type=int, default=20, help="--sla-order: pages to follow via next"
    )
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="only full-text search: each --search word alone and with --search-filter",
    )
    parser.add_argument(
        "--search-filter", default="status=pending", help="--search-only: the combined filter"
    )
    args = parser.parse_args()
    args.words = args.search or ["invoice", "e1234"]
    tenants = args.tenant or ["bench-1"]

    base = parse_base(args.base_url)
    setups = {
        tenant: _scenarios(base, tenant, f"owner@{tenant}.test", args.password, args)
        for tenant in tenants
    }
    names = [scenario.name for scenario in setups[tenants[0]][0]]
    results: dict[str, list] = {tenant: [] for tenant in tenants}
    failures = []
    counter = itertools.count()
    for index, name in enumerate(names):
        for tenant in tenants:
            scenario = setups[tenant][0][index]
            requests = args.requests
            if scenario.method == "POST" and args.create_requests is not None:
                requests = args.create_requests
            result = run_scenario(
                base, scenario, concurrency=args.concurrency, requests=requests, counter=counter
            )
            results[tenant].append(result)
            print(f"{tenant}: {table_row(name, result)}", file=sys.stderr, flush=True)
            if result.first_error:
                failures.append(f"{tenant} {name}: {result.first_error}")

    print(f"concurrency {args.concurrency}, {args.requests} requests per scenario, {args.base_url}")
    for tenant in tenants:
        print(f"\n#### {tenant} ({setups[tenant][2]} tickets)\n\n{TABLE_HEADER}")
        for name, result in zip(names, results[tenant], strict=True):
            print(table_row(name, result))
    if len(tenants) > 1:
        first = tenants[0]
        print(f"\n#### p50 relative to {first}\n")
        print("| scenario | " + " | ".join(tenants[1:]) + " |")
        print("|---|" + "---:|" * (len(tenants) - 1))
        for index, name in enumerate(names):
            ratios = [results[t][index].p50 / results[first][index].p50 for t in tenants[1:]]
            print(f"| {name} | " + " | ".join(f"{r:.2f}x" for r in ratios) + " |")
    if args.sla or args.sla_order:
        for tenant in tenants:
            print(f"\n#### {tenant}: against the plain list just before")
            _sla_ratios(names, results[tenant])
    for line in [note for setup in setups.values() for note in setup[1]] + failures:
        print(f"\n- {line}")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
