from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Membership, Tenant, User
from tickets.models import BusinessHours, SlaPolicy, Ticket

DEMO_PASSWORD = "demo-password-1"
ALL_ROLES = ["admin", "agent", "owner", "supervisor", "viewer"]


def _seed(capture) -> str:
    out = StringIO()
    with capture(execute=True):
        call_command("seed_demo", "--force", stdout=out)  # test settings run with DEBUG off
    return out.getvalue()


def test_seed_demo_refuses_with_debug_off_without_force(db):
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")

    assert not User.objects.filter(email="staff@tenantdesk.test").exists()


def _state() -> dict:
    tenants = Tenant.objects.filter(slug__in=["acme", "globex"]).order_by("slug")
    audit, tickets, sla = {}, {}, {}
    for tenant in tenants:
        with tenant_context(tenant):
            audit[tenant.slug] = AuditLogEntry.objects.count()
            tickets[tenant.slug] = sorted(Ticket.objects.values_list("number", "status"))
            sla[tenant.slug] = (
                list(BusinessHours.objects.values_list("timezone", flat=True)),
                sorted(SlaPolicy.objects.values_list("tier", flat=True), key=str),
            )
    return {
        "tenants": [(t.slug, t.timezone) for t in tenants],
        "users": User.objects.count(),
        "memberships": {
            t.slug: sorted(Membership.objects.filter(tenant=t).values_list("role", flat=True))
            for t in tenants
        },
        "audit": audit,
        "tickets": tickets,
        "sla": sla,
    }


def test_seed_demo_creates_tenants_members_and_staff(db, django_capture_on_commit_callbacks):
    output = _seed(django_capture_on_commit_callbacks)

    assert _state() == {
        "tenants": [("acme", "Europe/Berlin"), ("globex", "America/New_York")],
        "users": 11,
        "memberships": {"acme": ALL_ROLES, "globex": ALL_ROLES},
        # Acme's business hours and its enterprise policy are audited changes too.
        "audit": {"acme": 8, "globex": 6},
        "tickets": {
            slug: [(1, "open"), (2, "in_progress"), (3, "open"), (4, "resolved"), (5, "pending")]
            for slug in ("acme", "globex")
        },
        # Office hours and an enterprise override (with the default) in Acme; Globex is 24/7.
        "sla": {"acme": (["Europe/Berlin"], [None, "enterprise"]), "globex": ([], [])},
    }
    staff = User.objects.get(email="staff@tenantdesk.test")
    assert (staff.is_staff, staff.is_superuser) == (True, True)
    # Demo mailboxes do not exist: every demo account starts verified, so it can log in.
    assert User.objects.filter(email_verified_at__isnull=True).count() == 0
    assert not Membership.objects.filter(user=staff).exists()
    assert Membership.objects.get(tenant__slug="acme", role="supervisor").is_senior
    assert not Membership.objects.get(tenant__slug="acme", role="agent").is_senior
    # Demo members are added directly (a trusted service), not invited: no email goes out.
    assert mail.outbox == []
    assert "demo ready" in output


def test_seed_demo_twice_changes_nothing(db, django_capture_on_commit_callbacks):
    _seed(django_capture_on_commit_callbacks)
    first = _state()
    mail.outbox.clear()

    _seed(django_capture_on_commit_callbacks)

    assert _state() == first
    assert mail.outbox == []


def test_seed_demo_keeps_existing_tenant(db, django_capture_on_commit_callbacks):
    _seed(django_capture_on_commit_callbacks)
    Tenant.objects.filter(slug="acme").update(name="Renamed Acme")

    _seed(django_capture_on_commit_callbacks)

    assert Tenant.objects.get(slug="acme").name == "Renamed Acme"
    assert Tenant.objects.filter(slug="acme").count() == 1


@pytest.mark.parametrize(
    "email", ["owner@acme.test", "viewer@globex.test", "staff@tenantdesk.test"]
)
def test_demo_user_can_log_in(db, django_capture_on_commit_callbacks, anon_client, email):
    _seed(django_capture_on_commit_callbacks)

    response = anon_client.post(
        "/api/v1/auth/token/", {"email": email, "password": DEMO_PASSWORD}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["token"]


def test_demo_user_with_wrong_password_cannot_log_in(
    db, django_capture_on_commit_callbacks, anon_client
):
    _seed(django_capture_on_commit_callbacks)

    response = anon_client.post(
        "/api/v1/auth/token/",
        {"email": "owner@acme.test", "password": "not-the-demo-password"},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert "token" not in response.json()


def test_demo_owner_sees_own_tenant_only(db, django_capture_on_commit_callbacks, anon_client):
    _seed(django_capture_on_commit_callbacks)
    token = anon_client.post(
        "/api/v1/auth/token/",
        {"email": "owner@acme.test", "password": DEMO_PASSWORD},
        format="json",
    ).json()["token"]
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    own = anon_client.get("/api/v1/t/acme/")
    foreign = anon_client.get("/api/v1/t/globex/")

    assert own.status_code == 200, own.content
    assert foreign.status_code == 404, foreign.content
