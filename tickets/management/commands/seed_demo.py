"""Seed the demo: tenants acme and globex, one user per role in each (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from tenants import events, services
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
        # Demo mailboxes do not exist: the accounts start verified, so they can log in.
        user = User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            name=name,
            email_verified_at=timezone.now(),
            **extra,
        )
    return user


DEMO_TICKETS = [
    # subject, customer, priority, status, tags
    ("Cannot log in after password reset", "dana", "high", "open", ["login"]),
    ("Invoice shows the wrong VAT rate", "eli", "medium", "in_progress", ["billing"]),
    ("Export to CSV times out", "fay", "critical", "open", ["export", "bug"]),
    ("How do I add a second admin?", "gus", "low", "resolved", ["how-to"]),
    ("Webhook deliveries failing since Monday", "dana", "high", "pending", ["webhooks"]),
]


def _seed_sla(tenant: Tenant, owner: User) -> None:
    """Acme works office hours (Mon-Fri 09:00-17:00 local) with a faster policy for enterprise
    customers; Globex keeps the 24/7 default. Once (skipped when hours are set)."""
    from tenants.context import tenant_context
    from tickets.models import BusinessHours
    from tickets.services import sla_settings

    if tenant.slug != DEMO_TENANTS[0][0]:
        return
    with tenant_context(tenant):
        if BusinessHours.objects.exists():
            return
        actor = Actor(user=owner, role=Role.OWNER)
        sla_settings.business_hours_update(
            tenant=tenant,
            actor=actor,
            timezone=tenant.timezone,
            intervals=[{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(5)],
        )
        sla_settings.sla_policy_create(
            tenant=tenant,
            actor=actor,
            tier="enterprise",
            name="Enterprise",
            first_response_minutes={"critical": 30, "high": 120},
        )


def _seed_tickets(tenant: Tenant, owner: User) -> int:
    """A handful of tickets with comments, once per tenant (skipped when any exist)."""
    from tenants.context import tenant_context
    from tickets import services as tickets
    from tickets.models import Ticket

    with tenant_context(tenant):
        if Ticket.objects.exists():
            return Ticket.objects.count()
        actor = Actor(user=owner, role=Role.OWNER)
        agent = User.objects.get(email=f"agent@{tenant.slug}.test")
        for subject, who, priority, status, tags in DEMO_TICKETS:
            ticket = tickets.ticket_create(
                tenant=tenant,
                actor=actor,
                subject=subject,
                description=f"Reported by {who}.",
                customer_email=f"{who}@customer-of-{tenant.slug}.test",
                customer_name=who.title(),
                priority=priority,
                tags=tags,
                assignee=agent if status != "open" else None,
            )
            tickets.comment_create(
                tenant=tenant, actor=actor, ticket=ticket, body="Thanks, we are looking into it."
            )
            if status != "open":
                tickets.ticket_update(tenant=tenant, actor=actor, ticket=ticket, status=status)
        return Ticket.objects.count()


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
        # Demo data is news to no one: no email to the demo addresses, no webhook.
        with events.silenced():
            self._seed()

    def _seed(self):
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
            _seed_sla(tenant, owner)
            tickets = _seed_tickets(tenant, owner)
            self.stdout.write(
                f"tenant {slug}: {tenant.memberships.count()} members, {tickets} tickets"
            )
        self.stdout.write(self.style.SUCCESS(f"demo ready (password: {DEMO_PASSWORD})"))
