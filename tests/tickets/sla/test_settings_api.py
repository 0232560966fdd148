"""sla-policies/ and business-hours/ through the API: shapes, defaults, refusals that leave the
data untouched, optimistic concurrency, the holiday import and the audit trail."""

import pytest

from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Role
from tickets.models import BusinessHours, SlaPolicy

pytestmark = pytest.mark.django_db

DEFAULT_FIRST_RESPONSE = {"critical": 60, "high": 240, "medium": 1440, "low": 4320}
DEFAULT_RESOLUTION = {"critical": 240, "high": 1440, "medium": 4320, "low": 10080}


@pytest.fixture
def admin(tenant, member, api_client):
    return api_client(member(Role.ADMIN))


def _url(tenant, rest=""):
    return f"/api/v1/t/{tenant.slug}/{rest}"


def _policies(tenant):
    with tenant_context(tenant):
        return {
            p.tier: (p.first_response_critical, p.resolution_low, p.version)
            for p in SlaPolicy.objects.all()
        }


def test_every_tenant_lists_a_default_policy_with_the_design_targets(tenant, member, api_client):
    response = api_client(member(Role.VIEWER)).get(_url(tenant, "sla-policies/"))

    assert response.status_code == 200
    [policy] = response.json()["results"]
    assert policy["tier"] is None
    assert policy["is_default"] is True
    assert policy["first_response_minutes"] == DEFAULT_FIRST_RESPONSE
    assert policy["resolution_minutes"] == DEFAULT_RESOLUTION


def test_a_tier_override_copies_what_it_does_not_set_from_the_default(tenant, admin):
    admin.get(_url(tenant, "sla-policies/"))
    response = admin.post(
        _url(tenant, "sla-policies/"),
        {"tier": "enterprise", "first_response_minutes": {"critical": 15, "high": 60}},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Enterprise tier"
    assert body["is_default"] is False
    assert body["first_response_minutes"] == {**DEFAULT_FIRST_RESPONSE, "critical": 15, "high": 60}
    assert body["resolution_minutes"] == DEFAULT_RESOLUTION
    assert response["ETag"] == '"1"'
    assert response["Location"].endswith(f"/sla-policies/{body['id']}/")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tier": "gold"}, "tier"),
        ({}, "tier"),
        ({"tier": "basic", "first_response_minutes": {"critical": 0}}, "first_response_minutes"),
        ({"tier": "basic", "resolution_minutes": {"urgent": 10}}, "resolution_minutes"),
        ({"tier": "basic", "resolution_minutes": {"low": 10**9}}, "resolution_minutes"),
        ({"tier": "basic", "resolution_minutes": {"low": "soon"}}, "resolution_minutes"),
        ({"tier": "basic", "resolution_minutes": [60]}, "resolution_minutes"),
        ({"tier": "basic", "name": ""}, "name"),
        ({"tier": "basic", "tenant": 2}, "tenant"),
    ],
)
def test_a_bad_policy_is_a_400_naming_the_field_and_stores_nothing(tenant, admin, body, field):
    before = _policies(tenant)

    response = admin.post(_url(tenant, "sla-policies/"), body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert _policies(tenant) == before


def test_a_second_policy_for_one_tier_is_a_409(tenant, admin):
    first = admin.post(_url(tenant, "sla-policies/"), {"tier": "basic"}, format="json")
    again = admin.post(_url(tenant, "sla-policies/"), {"tier": "basic"}, format="json")

    assert first.status_code == 201
    assert (again.status_code, again.json()["code"]) == (409, "tier_policy_exists")


def test_the_default_policy_changes_but_is_never_deleted(tenant, admin):
    [default] = admin.get(_url(tenant, "sla-policies/")).json()["results"]
    url = _url(tenant, f"sla-policies/{default['id']}/")

    changed = admin.patch(
        url, {"first_response_minutes": {"critical": 30}}, format="json", HTTP_IF_MATCH='"1"'
    )
    deleted = admin.delete(url)

    assert changed.status_code == 200
    assert changed.json()["first_response_minutes"]["critical"] == 30
    assert changed["ETag"] == '"2"'
    assert (deleted.status_code, deleted.json()["code"]) == (409, "default_policy")
    assert _policies(tenant) == {None: (30, 10080, 2)}


def test_a_stale_if_match_is_a_412_and_changes_nothing(tenant, admin):
    [default] = admin.get(_url(tenant, "sla-policies/")).json()["results"]
    url = _url(tenant, f"sla-policies/{default['id']}/")
    admin.patch(url, {"name": "Standard"}, format="json")

    stale = admin.patch(
        url, {"first_response_minutes": {"critical": 5}}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert stale.status_code == 412
    assert _policies(tenant) == {None: (60, 10080, 2)}


def test_policy_changes_are_audited(tenant, admin):
    created = admin.post(_url(tenant, "sla-policies/"), {"tier": "premium"}, format="json").json()
    admin.patch(
        _url(tenant, f"sla-policies/{created['id']}/"),
        {"resolution_minutes": {"low": 600}},
        format="json",
    )
    admin.delete(_url(tenant, f"sla-policies/{created['id']}/"))

    with tenant_context(tenant):
        actions = list(
            AuditLogEntry.objects.filter(target_type="sla_policy")
            .order_by("created_at", "id")
            .values_list("action", flat=True)
        )
        updated = AuditLogEntry.objects.get(action="sla_policy.updated")
    assert actions == ["sla_policy.created", "sla_policy.updated", "sla_policy.deleted"]
    assert updated.before["resolution"]["low"] == 10080
    assert updated.after["resolution"]["low"] == 600


# --- business hours ---------------------------------------------------------------------------

NINE_TO_FIVE = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]


def test_without_business_hours_the_clock_runs_around_the_clock(tenant, member, api_client):
    response = api_client(member(Role.VIEWER)).get(_url(tenant, "business-hours/"))

    assert response.status_code == 200
    body = response.json()
    assert (body["intervals"], body["holidays"], body["always_open"]) == ([], [], True)
    assert body["version"] == 1


def test_business_hours_are_set_and_read_back_in_order(tenant, admin):
    response = admin.put(
        _url(tenant, "business-hours/"),
        {
            "timezone": "Europe/Berlin",
            # Out of order, two intervals on Monday (a lunch break).
            "intervals": [
                {"weekday": 0, "start": "13:00", "end": "17:00"},
                {"weekday": 0, "start": "09:00", "end": "12:00"},
                {"weekday": 4, "start": "09:00", "end": "24:00"},
            ],
            "holidays": [{"date": "2026-12-25", "name": "Christmas"}, {"date": "2026-12-24"}],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["intervals"] == [
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "13:00", "end": "17:00"},
        {"weekday": 4, "start": "09:00", "end": "24:00"},
    ]
    assert body["holidays"] == [
        {"date": "2026-12-24", "name": ""},
        {"date": "2026-12-25", "name": "Christmas"},
    ]
    assert (body["always_open"], body["version"], response["ETag"]) == (False, 2, '"2"')
    assert admin.get(_url(tenant, "business-hours/")).json() == body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"intervals": [{"weekday": 7, "start": "09:00", "end": "17:00"}]}, "intervals"),
        ({"intervals": [{"weekday": 0, "start": "9:00", "end": "17:00"}]}, "intervals"),
        ({"intervals": [{"weekday": 0, "start": "17:00", "end": "09:00"}]}, "intervals"),
        ({"intervals": [{"weekday": 0, "start": "24:00", "end": "24:00"}]}, "intervals"),
        ({"intervals": [{"weekday": 0, "start": "09:00", "end": "25:00"}]}, "intervals"),
        (
            {
                "intervals": [
                    {"weekday": 2, "start": "09:00", "end": "13:00"},
                    {"weekday": 2, "start": "12:00", "end": "17:00"},
                ]
            },
            "intervals",
        ),
        ({"intervals": [{"weekday": 0, "start": "09:00"}]}, "intervals"),
        ({"intervals": "weekdays"}, "intervals"),
        ({"holidays": [{"date": "2026-02-30"}]}, "holidays"),
        ({"holidays": [{"date": "26-12-25"}]}, "holidays"),
        ({"holidays": [{"date": "2026-12-25"}, {"date": "2026-12-25"}]}, "holidays"),
        ({"holidays": [{"date": "0001-01-01"}]}, "holidays"),
        ({"holidays": [{"date": "2026-12-25", "name": "x" * 101}]}, "holidays"),
        ({"holidays": [{"date": "2026-12-25", "name": "bad\x00"}]}, "holidays"),
    ],
)
def test_bad_business_hours_are_a_400_and_change_nothing(tenant, admin, change, field):
    response = admin.patch(_url(tenant, "business-hours/"), change, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    with tenant_context(tenant):
        assert not BusinessHours.objects.exists()


def test_put_needs_every_field_patch_only_what_it_changes(tenant, admin):
    put = admin.put(_url(tenant, "business-hours/"), {"timezone": "Europe/Paris"}, format="json")
    patch = admin.patch(_url(tenant, "business-hours/"), {"intervals": NINE_TO_FIVE}, format="json")

    assert put.status_code == 400
    assert set(put.json()["errors"]) == {"intervals", "holidays"}
    assert patch.status_code == 200
    assert patch.json()["intervals"] == NINE_TO_FIVE


def test_a_stale_business_hours_write_is_a_412(tenant, admin):
    admin.patch(_url(tenant, "business-hours/"), {"intervals": NINE_TO_FIVE}, format="json")

    stale = admin.patch(
        _url(tenant, "business-hours/"), {"intervals": []}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert stale.status_code == 412
    assert admin.get(_url(tenant, "business-hours/")).json()["intervals"] == NINE_TO_FIVE


def test_public_holidays_import_from_a_country_calendar_keeping_own_names(tenant, admin):
    admin.patch(
        _url(tenant, "business-hours/"),
        {"holidays": [{"date": "2026-12-25", "name": "Office closed"}]},
        format="json",
    )

    response = admin.post(
        _url(tenant, "business-hours/import-holidays/"),
        {"country": "DE", "subdivision": "BY", "years": [2026]},
        format="json",
    )

    assert response.status_code == 200, response.content
    holidays = {h["date"]: h["name"] for h in response.json()["holidays"]}
    assert holidays["2026-12-25"] == "Office closed"  # listed already: kept as it was
    assert holidays["2026-01-06"] == "Epiphany"  # Bavaria only
    assert holidays["2026-10-03"] == "German Unity Day"
    assert "2026-07-04" not in holidays


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"country": "XX", "years": [2026]}, "country"),
        ({"country": "DE", "subdivision": "ZZ", "years": [2026]}, "subdivision"),
        ({"country": "DE", "years": []}, "years"),
        ({"country": "DE", "years": [1066]}, "years"),
        ({"country": "DE"}, "years"),
    ],
)
def test_a_bad_holiday_import_is_a_400_naming_the_field(tenant, admin, body, field):
    response = admin.post(_url(tenant, "business-hours/import-holidays/"), body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    with tenant_context(tenant):
        assert not BusinessHours.objects.exists()


def test_the_browsable_api_edits_business_hours_as_json_from_the_current_state(
    tenant, member, client
):
    admin_member = member(Role.ADMIN)
    client.force_login(admin_member.user)
    client.patch(
        _url(tenant, "business-hours/"),
        {"timezone": "Asia/Tokyo", "intervals": NINE_TO_FIVE[:1]},
        content_type="application/json",
    )

    page = client.get(_url(tenant, "business-hours/"), HTTP_ACCEPT="text/html").content.decode()

    assert "Lists are not currently supported in HTML input" not in page
    assert "&quot;timezone&quot;: &quot;Asia/Tokyo&quot;" in page  # the JSON form, prefilled
    assert "&quot;version&quot;" not in page.split('name="_content"')[1].split("</textarea>")[0]
