"""`manage.py seed_demo_kb`: the demo tenants' knowledge base (run by `make seed` after
seed_demo), so the help center has something to show. Safe to run again."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from knowledge_base import services
from knowledge_base.models import Article, Category
from tenants import events
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role, Tenant, User

CATEGORIES = [("getting-started", "Getting started"), ("billing", "Billing")]
ARTICLES = [
    (
        "getting-started",
        "Reset your password",
        "reset-your-password",
        "1. Open **Sign in** and choose *Forgot password*.\n"
        "2. Enter your email; the link we send works for one hour.\n\n"
        "Still stuck? [Contact us](https://example.test/contact).",
        True,
    ),
    (
        "getting-started",
        "Printer jams on page two",
        "printer-jams",
        "Printers jammed after an update? Open the rear tray, remove the sheet and restart.",
        True,
    ),
    (
        "billing",
        "Download an invoice",
        "download-an-invoice",
        "Invoices are under **Account → Billing**. Each one is a PDF.",
        True,
    ),
    ("billing", "Refund policy (draft)", "refund-policy", "Work in progress.", False),
]


class Command(BaseCommand):
    help = "Create the demo tenants' knowledge base (after seed_demo). Development only."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Seed even with DEBUG off.")

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Refusing to seed demo data while DEBUG is off (use --force).")
        with events.silenced():
            for tenant in Tenant.objects.filter(slug__in=["acme", "globex"]).order_by("pk"):
                count = self._seed(tenant)
                self.stdout.write(f"tenant {tenant.slug}: {count} articles")

    def _seed(self, tenant: Tenant) -> int:
        owner = User.objects.get(email=f"owner@{tenant.slug}.test")
        actor = Actor(user=owner, role=Role.OWNER)
        with tenant_context(tenant):
            shelves = {}
            for position, (slug, name) in enumerate(CATEGORIES):
                shelves[slug] = Category.objects.filter(slug=slug).first() or (
                    services.category_create(
                        tenant=tenant, actor=actor, name=name, slug=slug, position=position
                    )
                )
            for shelf, title, slug, body, published in ARTICLES:
                if Article.objects.filter(slug=slug).exists():
                    continue
                article = services.article_create(
                    tenant=tenant,
                    actor=actor,
                    title=title,
                    slug=slug,
                    body=body,
                    excerpt=body.split("\n")[0].replace("*", "")[:200],
                    category=shelves[shelf],
                )
                if published:
                    services.article_publish(tenant=tenant, actor=actor, article=article)
            return Article.objects.count()
