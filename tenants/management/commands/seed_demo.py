"""Seed the demo: tenants acme and globex, one user per role in each (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tenants import services
from tenants.access import Actor
from tenants.models import Membership, Role, Tenant, User

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 — printed on purpose, demo data only
DEMO_TENANTS = [
    ("acme", "Acme Corporation", "Europe/Berlin"),
    ("globex", "Globex Inc.", "America/New_York"),
]
ROLES = [Role.OWNER, Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.VIEWER]


def _user(email: str, name: str, **extra) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name, **extra)
    return user


class Command(BaseCommand):
    help = "Create the demo tenants and users (safe to run again). Development only."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (the demo has a superuser with a known password).",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to seed demo users with known passwords while DEBUG is off "
                "(use --force on a throwaway environment)."
            )
        _user("staff@tenantdesk.test", "Platform Staff", is_staff=True, is_superuser=True)
        for slug, name, tz in DEMO_TENANTS:
            owner = _user(f"owner@{slug}.test", f"{name} Owner")
            tenant = Tenant.objects.filter(slug=slug).first()
            if tenant is None:
                tenant = services.tenant_create(
                    actor=Actor(user=owner), slug=slug, name=name, timezone_name=tz
                )
            actor = Actor(user=owner, role=Role.OWNER)
            for role in ROLES[1:]:
                user = _user(f"{role}@{slug}.test", f"{name} {role.label}")
                if not Membership.objects.filter(tenant=tenant, user=user).exists():
                    services.member_add(
                        tenant=tenant,
                        actor=actor,
                        email=user.email,
                        role=role,
                        is_senior=role == Role.SUPERVISOR,
                    )
            self.stdout.write(f"tenant {slug}: {tenant.memberships.count()} members")
        self.stdout.write(self.style.SUCCESS(f"demo ready (password: {DEMO_PASSWORD})"))
