import base64
from urllib.parse import urlencode

import pytest

from tenants.access import Actor
from tickets import services as ticket_services

LISTS = [
    "members/",
    "invitations/",
    "audit-log/",
    "customers/",
    "tickets/",
    "exports/",
    "api-keys/",
    "tickets/{number}/comments/",
    "tickets/{number}/events/",
    "tickets/{number}/attachments/",
]


def _cursor(**tokens) -> str:
    return base64.b64encode(urlencode(tokens).encode()).decode()


@pytest.fixture
def lists(member, api_client, tenant, in_tenant):
    client = api_client(member("owner"))
    with in_tenant(tenant):
        ticket = ticket_services.ticket_create(
            tenant=tenant, actor=Actor(), subject="Paged", customer_email="p@example.test"
        )
    return client, {path: path.format(number=ticket.number) for path in LISTS}


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "position",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param("2026-01-01T00:00:00", id="naive"),
        pytest.param("99999999999999999999999", id="huge-number"),
        pytest.param("0001-01-01T00:00:00+14:00", id="year-0-in-utc"),
        pytest.param("9999-12-31T23:59:59-15:00", id="year-10000-in-utc"),
        pytest.param("2026-01-01T00:00:00+20:00", id="offset-beyond-postgres"),
        pytest.param("2026-01-01T00:00:00-16:00", id="negative-offset-beyond-postgres"),
        pytest.param("2026-01-01\x00T00:00:00Z", id="nul"),
    ],
)
def test_tampered_cursor_position_is_400_invalid_cursor(lists, path, position):
    client, paths = lists

    response = client.get(f"/api/v1/t/alpha/{paths[path]}", {"cursor": _cursor(p=position)})

    assert response.status_code == 400, response.content
    assert response.json() == {"detail": "Invalid cursor", "code": "invalid_cursor"}


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("not-base64!", id="not-base64"),
        pytest.param("w6k=", id="not-ascii"),
        pytest.param(_cursor(o="-5"), id="negative-offset"),
        pytest.param(_cursor(r="x"), id="bad-reverse-flag"),
    ],
)
def test_undecodable_cursor_is_400_invalid_cursor(lists, path, cursor):
    client, paths = lists

    response = client.get(f"/api/v1/t/alpha/{paths[path]}", {"cursor": cursor})

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize("path", LISTS)
def test_a_cursor_with_an_extreme_but_storable_time_pages_normally(lists, path):
    client, paths = lists

    # Representable in UTC (year 1, offset within ±15:59): a valid, empty page past the start.
    response = client.get(
        f"/api/v1/t/alpha/{paths[path]}", {"cursor": _cursor(p="0002-01-01T00:00:00+15:59")}
    )

    assert response.status_code == 200, response.content
    assert "results" in response.json()


@pytest.mark.parametrize("size", ["0", "-3", "abc", "1.5", "", "1e3"])
def test_a_page_size_that_is_not_a_whole_number_from_1_is_400(lists, size):
    client, paths = lists

    response = client.get(f"/api/v1/t/alpha/{paths['tickets/']}", {"page_size": size})

    assert response.status_code == 400
    assert "page_size" in response.json()["errors"]


def test_a_page_size_above_100_is_no_error(lists):
    # (It counts as 100: tests/tenants/test_api_audit_log.py::test_page_size_is_capped_at_100.)
    client, paths = lists

    response = client.get(f"/api/v1/t/alpha/{paths['tickets/']}", {"page_size": "5000"})

    assert response.status_code == 200
