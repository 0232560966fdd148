import base64
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

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


# --- Link header and ?include=count ---------------------------------------------------------


@pytest.fixture
def five_tickets(member, api_client, tenant, in_tenant):
    client = api_client(member("owner"))
    with in_tenant(tenant):
        for i in range(5):
            ticket_services.ticket_create(
                tenant=tenant, actor=Actor(), subject=f"T{i}", customer_email="p@example.test"
            )
    return client


def _links(response) -> dict[str, str]:
    links = {}
    for part in response.get("Link", "").split(","):
        if part.strip():
            url, rel = part.split(";")
            links[rel.strip().removeprefix('rel="').removesuffix('"')] = url.strip()[1:-1]
    return links


def test_the_link_header_carries_next_and_prev(five_tickets):
    first = five_tickets.get("/api/v1/t/alpha/tickets/", {"page_size": 2})
    middle = five_tickets.get(first.json()["next"])
    last = five_tickets.get(middle.json()["next"])

    assert _links(first) == {"next": first.json()["next"]}
    assert _links(middle) == {"next": middle.json()["next"], "prev": middle.json()["previous"]}
    assert _links(last) == {"prev": last.json()["previous"]}
    assert len(last.json()["results"]) == 1


def test_a_single_page_has_no_link_header(five_tickets):
    response = five_tickets.get("/api/v1/t/alpha/tickets/")

    assert "Link" not in response


def test_include_count_gives_the_exact_size_of_a_small_list(five_tickets):
    body = five_tickets.get("/api/v1/t/alpha/tickets/", {"page_size": 2, "include": "count"})
    filtered = five_tickets.get(
        "/api/v1/t/alpha/tickets/", {"include": "count", "status": "closed"}
    ).json()

    assert list(body.json()) == ["next", "previous", "count", "count_estimated", "results"]
    assert (body.json()["count"], body.json()["count_estimated"]) == (5, False)
    assert (filtered["count"], filtered["results"]) == (0, [])  # the count follows the filters


def test_include_count_estimates_a_list_above_the_exact_limit(five_tickets, settings):
    settings.PAGINATION_EXACT_COUNT_MAX = 3

    body = five_tickets.get("/api/v1/t/alpha/tickets/", {"include": "count"}).json()

    assert body["count_estimated"] is True
    assert body["count"] >= 4


def test_without_include_there_is_no_count(five_tickets):
    assert "count" not in five_tickets.get("/api/v1/t/alpha/tickets/").json()


@pytest.mark.parametrize("value", ["total", "count,users", ""])
def test_an_unknown_include_is_a_400(five_tickets, value):
    response = five_tickets.get("/api/v1/t/alpha/tickets/", {"include": value})

    assert response.status_code == 400
    assert "include" in response.json()["errors"]


def test_include_count_costs_one_query_more(five_tickets):
    five_tickets.get("/api/v1/t/alpha/tickets/")  # warm the token

    with CaptureQueriesContext(connection) as plain:
        five_tickets.get("/api/v1/t/alpha/tickets/")
    with CaptureQueriesContext(connection) as counted:
        five_tickets.get("/api/v1/t/alpha/tickets/", {"include": "count"})

    assert len(counted) == len(plain) + 1
