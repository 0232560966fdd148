"""Reports benchmark: `reports/summary/` at the 250k-ticket bench tenant.

    export DATABASE_URL=postgres://tenantdesk_app:tenantdesk_app@127.0.0.1:5432/tenantdesk_bench
    export DATABASE_OWNER_URL=postgres://tenantdesk_owner:tenantdesk_owner@127.0.0.1:5432/tenantdesk_bench
    DEBUG=1 .venv/bin/python bench/reports.py [--tenant bench250k-1] [--runs 30] [--explain]

Run `manage.py migrate` and `manage.py report_backfill --tenant bench250k-1` on that database
first (bulk-seeded tickets have no stored business minutes). Times the selector in-process
(tickets.reports.report_summary: both SQL statements and the Python that shapes the report),
inside the tenant's context as the runtime role, over a window of `--days` ending at the
tenant's newest ticket, for every `group_by`, after one warm-up run each; prints p50, p95 and
max in ms (HTTP, authentication and JSON rendering not included; `--api` adds the whole
Django stack in-process for three of them, still without an HTTP server). `--explain` prints
EXPLAIN (ANALYZE, BUFFERS) of the figures statement, ungrouped.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenant", default="bench250k-1")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--api", action="store_true", help="also time GET reports/summary/ in-process (the owner)"
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Max

    from tenants.context import tenant_context
    from tenants.models import Tenant
    from tickets import reports
    from tickets.models import Ticket

    tenant = Tenant.objects.get(slug=args.tenant)
    with tenant_context(tenant):
        count = Ticket.objects.filter(tenant=tenant).count()
        end = Ticket.objects.filter(tenant=tenant).aggregate(Max("created_at"))["created_at__max"]
    start = end - timedelta(days=args.days)
    print(f"{args.tenant}: {count} tickets; window {start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M}")
    print("| group_by | runs | p50 ms | p95 ms | max ms | created | resolved | backlog |")
    print("|---|---|---|---|---|---|---|---|")
    for group_by in (None, "day", "week", "agent", "priority", "channel"):
        timings = []
        for run in range(args.runs + 1):
            with tenant_context(tenant):
                began = time.perf_counter()
                report = reports.report_summary(
                    tenant=tenant, start=start, end=end, group_by=group_by
                )
                elapsed = (time.perf_counter() - began) * 1000
            if run:  # the first is a warm-up
                timings.append(elapsed)
        timings.sort()
        p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
        totals = report.totals
        print(
            f"| {group_by or '-'} | {len(timings)} | {statistics.median(timings):.1f} | "
            f"{p95:.1f} | {timings[-1]:.1f} | {totals.created} | {totals.resolved} | "
            f"{totals.backlog} |"
        )
    if args.api:
        _time_api(tenant, start, end, args.runs)
    if args.explain:
        params = {
            "tenant": tenant.pk,
            "start": start,
            "end": end,
            "tz": tenant.timezone,
        }
        with tenant_context(tenant), connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN (ANALYZE, BUFFERS) " + reports._figures_sql(None),
                params,
            )
            print("\n".join(row[0] for row in cursor.fetchall()))


def _time_api(tenant, start, end, runs: int) -> None:
    """GET reports/summary/ through the whole Django stack (authentication, tenant and
    membership, the view, JSON), in-process as the tenant's seeded owner: no HTTP server."""
    from rest_framework.test import APIClient

    from tenants.models import Membership, Role
    from tenants.services import auth_token_create

    owner = Membership.objects.filter(tenant=tenant, role=Role.OWNER).first().user
    _, token = auth_token_create(user=owner)
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    query = f"from={start.isoformat()}&to={end.isoformat()}".replace("+", "%2B")
    print("\n| API group_by | runs | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    for group_by in (None, "day", "agent"):
        url = f"/api/v1/t/{tenant.slug}/reports/summary/?{query}"
        if group_by:
            url += f"&group_by={group_by}"
        timings = []
        for run in range(runs + 1):
            began = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - began) * 1000
            assert response.status_code == 200, response.content[:300]
            if run:
                timings.append(elapsed)
        timings.sort()
        p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
        print(
            f"| {group_by or '-'} | {len(timings)} | {statistics.median(timings):.1f} | "
            f"{p95:.1f} | {timings[-1]:.1f} |"
        )


if __name__ == "__main__":
    main()
