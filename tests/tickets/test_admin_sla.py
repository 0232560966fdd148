"""SLA policies and business hours in the tenant-scoped admin: admins edit them through the
services (audited), supervisors read them, agents do not enter; the ticket page shows the SLA
targets and timeline."""

import pytest

from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Role
from tests.tickets.admin_helpers import TICKETS, change_url
from tickets.models import BusinessHours, SlaPolicy

pytestmark = pytest.mark.django_db

POLICIES = "/admin/tickets/slapolicy/"
HOURS = "/admin/tickets/businesshours/"
TARGETS = {
    "first_response_critical": 60,
    "first_response_high": 240,
    "first_response_medium": 1440,
    "first_response_low": 4320,
    "resolution_critical": 240,
    "resolution_high": 1440,
    "resolution_medium": 4320,
    "resolution_low": 10080,
}


def _default(tenant) -> SlaPolicy:
    with tenant_context(tenant):
        return SlaPolicy.objects.get(tier__isnull=True)


def test_an_admin_changes_the_default_policy_through_the_service(admin_login, member, tenant):
    client = admin_login(member(Role.ADMIN))
    listing = client.get(POLICIES)
    policy = _default(tenant)  # the list made it

    response = client.post(
        change_url(POLICIES, policy),
        {"name": "Standard", **TARGETS, "first_response_critical": 30, "_save": "Save"},
    )

    assert listing.status_code == 200
    assert response.status_code == 302, response.context and response.context["errors"]
    stored = _default(tenant)
    assert (stored.name, stored.first_response_critical, stored.version) == ("Standard", 30, 2)
    with tenant_context(tenant):
        assert AuditLogEntry.objects.filter(action="sla_policy.updated").count() == 1


def test_an_admin_adds_a_tier_override(admin_login, member, tenant):
    client = admin_login(member(Role.ADMIN))
    client.get(POLICIES)

    response = client.post(
        f"{POLICIES}add/",
        {"name": "VIP", "tier": "premium", **TARGETS, "resolution_critical": 120, "_save": "Save"},
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    with tenant_context(tenant):
        vip = SlaPolicy.objects.get(tier="premium")
    assert (vip.name, vip.resolution_critical, vip.first_response_critical) == ("VIP", 120, 60)


def test_a_bad_target_is_refused_on_the_form(admin_login, member, tenant):
    client = admin_login(member(Role.ADMIN))
    client.get(POLICIES)
    policy = _default(tenant)

    response = client.post(
        change_url(POLICIES, policy),
        {"name": "Default", **TARGETS, "resolution_low": "-5", "_save": "Save"},
    )

    assert response.status_code == 200
    assert "resolution_low" in response.context["adminform"].form.errors
    assert _default(tenant).resolution_low == 10080


def test_the_default_policy_offers_no_delete(admin_login, member, tenant):
    client = admin_login(member(Role.ADMIN))
    client.get(POLICIES)

    response = client.post(f"{POLICIES}{_default(tenant).public_id}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert _default(tenant).pk


def test_a_supervisor_reads_policies_but_cannot_change_them(admin_login, member, tenant):
    client = admin_login(member(Role.SUPERVISOR))
    listing = client.get(POLICIES)
    policy = _default(tenant)

    page = client.get(change_url(POLICIES, policy))
    refused = client.post(
        change_url(POLICIES, policy),
        {"name": "Mine", **TARGETS, "first_response_critical": 1, "_save": "Save"},
    )

    assert (listing.status_code, page.status_code) == (200, 200)
    assert refused.status_code == 403
    assert _default(tenant).first_response_critical == 60


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_agents_and_viewers_do_not_see_sla_settings(admin_login, member, role):
    client = admin_login(member(role))

    assert client.get(POLICIES).status_code in (302, 403)
    assert client.get(HOURS).status_code in (302, 403)


def test_an_admin_sets_business_hours_as_lines(admin_login, member, tenant):
    client = admin_login(member(Role.ADMIN))

    response = client.post(
        f"{HOURS}add/",
        {
            "timezone": "Europe/Berlin",
            "intervals_text": "mon 09:00-12:00\nMon 13:00-17:00\n\nfri 09:00-15:00",
            "holidays_text": "2026-12-25 Christmas Day\n2026-12-26",
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    with tenant_context(tenant):
        hours = BusinessHours.objects.get()
    assert hours.timezone == "Europe/Berlin"
    assert hours.intervals == [
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "13:00", "end": "17:00"},
        {"weekday": 4, "start": "09:00", "end": "15:00"},
    ]
    assert hours.holidays == [
        {"date": "2026-12-25", "name": "Christmas Day"},
        {"date": "2026-12-26", "name": ""},
    ]
    # One calendar per tenant: no second one can be added.
    assert client.get(f"{HOURS}add/").status_code == 403


@pytest.mark.parametrize(
    ("intervals", "holidays"),
    [
        ("monday at nine", ""),
        ("mon 17:00-09:00", ""),
        ("mon 09:00-13:00\nmon 12:00-17:00", ""),
        ("", "christmas"),
    ],
)
def test_bad_business_hours_lines_are_refused_and_nothing_is_stored(
    admin_login, member, tenant, intervals, holidays
):
    client = admin_login(member(Role.ADMIN))

    response = client.post(
        f"{HOURS}add/",
        {
            "timezone": "Europe/Berlin",
            "intervals_text": intervals,
            "holidays_text": holidays,
            "_save": "Save",
        },
    )

    # A line the form cannot read stays on the form; one the service refuses comes back as a
    # message on the redirect. Either way nothing is stored.
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["adminform"].form.errors
    with tenant_context(tenant):
        assert not BusinessHours.objects.exists()


def test_the_ticket_page_shows_the_sla_targets_and_timeline(admin_login, member, seeded):
    client = admin_login(member(Role.SUPERVISOR))

    page = client.get(change_url(TICKETS, seeded["own"])).content.decode()

    assert "SLA timeline" in page
    assert "started" in page
    assert "first response 240 min, resolution 1440 min" in page  # a high ticket
