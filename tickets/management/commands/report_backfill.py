"""Store the business minutes to the first response and to the resolution of tickets made
before they were stored at write time (the reports' medians read them).

    .venv/bin/python manage.py report_backfill              # every tenant
    .venv/bin/python manage.py report_backfill --tenant acme

New first responses and resolutions store theirs as they happen; this command fills in older
tickets (and bulk-loaded ones, e.g. the benchmark's) on each tenant's current business
calendar. Each batch of 500 tickets commits on its own; a rerun finds nothing left to do.
"""

from django.core.management.base import BaseCommand, CommandError

from tenants.models import Tenant
from tickets.services.sla import ticket_business_minutes_backfill


class Command(BaseCommand):
    help = "Backfill the business minutes of first responses and resolutions (reports)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Only this tenant (its slug).")

    def handle(self, *args, **options):
        tenants = Tenant.objects.order_by("pk")
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"No tenant {options['tenant']!r}.")
        total = 0
        for tenant in tenants:
            changed = ticket_business_minutes_backfill(tenant=tenant)
            total += changed
            self.stdout.write(f"{tenant.slug}: {changed} tickets backfilled")
        self.stdout.write(self.style.SUCCESS(f"{total} tickets backfilled"))
