"""HTTP benchmark of a running Tenantdesk server: requests/s and latency percentiles.

Run it through bench/run.sh (which starts gunicorn on the current database), or directly:
    .venv/bin/python bench/api_bench.py --base-url http://127.0.0.1:8000 --tenant acme \
        --email admin@acme.test --password demo-password-1 --concurrency 4 --requests 2000

Each scenario is run by `--concurrency` threads, each with its own keep-alive connection, for
`--requests` requests in total after a short warm-up. Output: a markdown table.
"""

import argparse

from httpbench import TABLE_HEADER, Scenario, login, parse_base, run_scenario, table_row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--tenant", default="acme")
    parser.add_argument("--email", default="admin@acme.test")
    parser.add_argument("--password", default="demo-password-1")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()

    base = parse_base(args.base_url)
    auth = {"Authorization": f"Bearer {login(base, args.email, args.password)}"}
    t = f"/api/v1/t/{args.tenant}"
    scenarios = [
        Scenario("GET /healthz (no DB)", "/healthz"),
        Scenario("GET auth/me/ (token, memberships)", "/api/v1/auth/me/", headers=auth),
        Scenario("GET t/<slug>/ (token, tenant+membership, RLS context)", f"{t}/", headers=auth),
        Scenario("GET t/<slug>/members/ (list)", f"{t}/members/", headers=auth),
        Scenario(
            "GET t/<slug>/audit-log/ (RLS table, 25/page)",
            f"{t}/audit-log/?page_size=25",
            headers=auth,
        ),
        Scenario("GET t/<other>/ (not a member: 404)", "/api/v1/t/no-such-tenant/", headers=auth),
    ]
    print(
        f"concurrency {args.concurrency}, {args.requests} requests per scenario, {args.base_url}\n"
    )
    print(TABLE_HEADER)
    for scenario in scenarios:
        result = run_scenario(
            base, scenario, concurrency=args.concurrency, requests=args.requests, warmup=50
        )
        print(table_row(scenario.name, result), flush=True)


if __name__ == "__main__":
    main()
