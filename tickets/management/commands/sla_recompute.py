"""Recompute the SLA targets and due times of unfinished tickets from their timelines under the
tenants' current policies and business hours.

    .venv/bin/python manage.py sla_recompute              # every tenant
    .venv/bin/python manage.py sla_recompute --tenant acme

Changes through the API or the admin recompute on their own (in the background); this command
backfills tickets created before SLA policies existed (their targets are empty) and reruns a
recomputation whose task message was lost. Each batch of 500 tickets commits on its own, so
it can run beside live traffic and be interrupted and rerun.
"""

from django.core.management.base import BaseCommand, CommandError

from tenants.models import Tenant
from tickets.services.sla_settings import sla_recompute


class Command(BaseCommand):
    help = "Recompute SLA targets and due times of unfinished tickets (all tenants or one)."

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
            changed = sla_recompute(tenant=tenant)
            total += changed
            self.stdout.write(f"{tenant.slug}: {changed} tickets recomputed")
        self.stdout.write(self.style.SUCCESS(f"{total} tickets recomputed"))
