"""The ticket list ordered by SLA due time (docs/sla.md, Filters): running clocks only, no
running clock last in both directions, and a keyset cursor that pages exactly through ties."""

import json
from base64 import b64encode
from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.context import tenant_context
from tenants.models import Role
from tests.errors import field_errors
from tests.tickets.recipes import customer_recipe, ticket_recipe
from tickets.models import Ticket


def _t(hour: int) -> datetime:
    return datetime(2024, 1, 1, hour, tzinfo=UTC)


# label: (status, first_response_at, first_response_due_at, resolution_due_at), in the order
# they are created (so their numbers ascend in this order).
TICKETS = {
    "n1": ("resolved", _t(1), None, None),
    "frB": ("open", None, _t(3), _t(9)),
    "resA": ("in_progress", _t(1), _t(2), _t(3)),  # first response met: only resolution runs
    "done": ("resolved", _t(1), _t(1), _t(2)),  # met targets keep their due times
    "late": ("pending", None, _t(1), None),  # paused past due: the unanswered clock counts
    "frA": ("open", None, _t(3), _t(9)),
    "n2": ("closed", _t(1), None, None),
    "resB": ("open", _t(1), _t(1), _t(5)),
    "paused": ("pending", None, None, None),
    "n3": ("resolved", _t(1), None, None),
}

# Ties at the same due time (and every ticket without a running clock) go by number.
EXPECTED = {
    "sla_due": "late frB resA frA resB n1 done n2 paused n3",
    "-sla_due": "n3 paused n2 done n1 resB frA resA frB late",
    "first_response_due_at": "late frB frA n1 resA done n2 resB paused n3",
    "-first_response_due_at": "n3 paused resB n2 done resA n1 frA frB late",
    "resolution_due_at": "resA resB frB frA n1 done late n2 paused n3",
    "-resolution_due_at": "n3 paused n2 late done n1 frA frB resB resA",
}


@pytest.fixture
def due(tenant, other_tenant, member, api_client):
    with tenant_context(tenant):
        customer = customer_recipe.make(tenant=tenant)
        for label, (status, answered, fr_due, res_due) in TICKETS.items():
            ticket_recipe.make(
                tenant=tenant,
                requester=customer,
                subject=label,
                status=status,
                first_response_at=answered,
                first_response_due_at=fr_due,
                resolution_due_at=res_due,
            )
    with tenant_context(other_tenant):  # due first of all, and never listed
        ticket_recipe.make(
            tenant=other_tenant,
            requester=customer_recipe.make(tenant=other_tenant),
            subject="foreign",
            first_response_due_at=_t(0),
            resolution_due_at=_t(0),
        )
    return SimpleNamespace(
        tenant=tenant,
        url=f"/api/v1/t/{tenant.slug}/tickets/",
        client=api_client(member(Role.AGENT)),
    )


def _get(due, query: str):
    return due.client.get(f"{due.url}?{query}")


def _labels(response) -> str:
    assert response.status_code == 200, response.content
    return " ".join(t["subject"] for t in response.json()["results"])


def _walk_forward(client, url: str) -> tuple[list[str], list[dict]]:
    labels, pages = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body)
        labels += [t["subject"] for t in body["results"]]
        url = body["next"]
        assert len(pages) < 60, "pagination does not end"
    return labels, pages


def _walk_backward(client, url: str | None) -> list[str]:
    labels: list[str] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        labels = [t["subject"] for t in body["results"]] + labels
        url = body["previous"]
        pages += 1
        assert pages < 60, "pagination does not end"
    return labels


def _cursor(**tokens) -> str:
    return b64encode(urlencode(tokens).encode()).decode()


# --- The order --------------------------------------------------------------------------------


@pytest.mark.parametrize(("ordering", "expected"), EXPECTED.items(), ids=list(EXPECTED))
def test_due_orderings_sort_running_clocks_and_put_the_rest_last(due, ordering, expected):
    assert _labels(_get(due, f"ordering={ordering}&page_size=100")) == expected


@pytest.mark.parametrize("page_size", [1, 2, 3, 4])
@pytest.mark.parametrize("ordering", list(EXPECTED))
def test_paging_through_ties_and_no_due_time_forward_and_back_is_exact(due, ordering, page_size):
    forward, pages = _walk_forward(
        due.client, f"{due.url}?ordering={ordering}&page_size={page_size}"
    )

    assert " ".join(forward) == EXPECTED[ordering]  # each ticket once, in order
    assert pages[0]["previous"] is None
    backward = _walk_backward(due.client, pages[-1]["previous"])
    assert backward + [t["subject"] for t in pages[-1]["results"]] == forward


def test_turning_back_mid_list_returns_the_page_before(due):
    first = _get(due, "ordering=sla_due&page_size=3").json()
    second = due.client.get(first["next"]).json()
    third = due.client.get(second["next"]).json()

    again = due.client.get(third["previous"]).json()

    assert [t["subject"] for t in again["results"]] == ["frA", "resB", "n1"]
    assert again["results"] == second["results"]
    assert due.client.get(again["previous"]).json()["results"] == first["results"]


def test_a_ticket_whose_clock_stops_moves_to_the_end(due):
    before = _labels(_get(due, "ordering=sla_due&page_size=100")).split()
    with tenant_context(due.tenant):
        Ticket.objects.filter(subject="late").update(first_response_at=_t(2))

    after = _labels(_get(due, "ordering=sla_due&page_size=100")).split()

    assert before[0] == "late"
    assert after.index("late") > after.index("resB")  # among the tickets without a clock now


def test_more_tied_tickets_than_an_offset_can_skip_still_page_exactly(tenant, member, api_client):
    """1,150 tickets without a running clock: DRF's offset cursor stops at an offset of 1,000
    and would serve its eleventh page again and again; the keyset cursor does not care."""
    with tenant_context(tenant):
        customer = customer_recipe.make(tenant=tenant)
        Ticket.objects.bulk_create(
            ticket_recipe.prepare(
                tenant=tenant, requester=customer, status="resolved", _quantity=1150
            )
        )
        numbers = sorted(Ticket.objects.values_list("number", flat=True))
    client = api_client(member(Role.AGENT))
    url = f"/api/v1/t/{tenant.slug}/tickets/?ordering=sla_due&page_size=100"

    seen: list[int] = []
    while url:
        body = client.get(url).json()
        seen += [t["number"] for t in body["results"]]
        url = body["next"]
        assert len(seen) <= 1150, "pages repeat"

    assert seen == numbers


def test_search_results_can_be_ordered_by_due_time(due):
    with tenant_context(due.tenant):
        Ticket.objects.filter(subject__in=["frA", "resB", "n1"]).update(
            description="printer on fire"
        )

    response = _get(due, "search=printer&ordering=-sla_due")

    assert _labels(response) == "n1 resB frA"  # the exact reverse: no clock first


# --- Refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ordering",
    [
        pytest.param("sla_due_key", id="internal-annotation"),
        pytest.param("-resolution_due_key", id="internal-annotation-descending"),
        pytest.param("due_at", id="unknown"),
        pytest.param("first_response_due_at__date", id="lookup"),
        pytest.param("--sla_due", id="double-minus"),
        pytest.param("sla_due,number", id="with-a-tiebreak"),
        pytest.param("number,-sla_due", id="after-another-field"),
        pytest.param("sla_due,resolution_due_at", id="two-due-times"),
    ],
)
def test_a_due_ordering_outside_the_rules_is_400(due, ordering):
    response = _get(due, f"ordering={ordering}")

    assert response.status_code == 400
    assert list(field_errors(response)) == ["ordering"]


SLA_POSITION = json.dumps(["2024-01-01T03:00:00+00:00", 1001])


@pytest.mark.parametrize(
    ("ordering", "cursor"),
    [
        pytest.param("sla_due", _cursor(p="2024-01-01T03:00:00+00:00"), id="offset-cursor-kind"),
        pytest.param("created_at", _cursor(p=SLA_POSITION), id="keyset-cursor-elsewhere"),
        pytest.param("sla_due", _cursor(p="[not json"), id="not-json"),
        pytest.param("sla_due", _cursor(p='{"a": 1}'), id="not-a-list"),
        pytest.param("sla_due", _cursor(p='["2024-01-01T03:00:00+00:00"]'), id="one-value"),
        pytest.param(
            "sla_due", _cursor(p='["2024-01-01T03:00:00+00:00", 1, 2]'), id="three-values"
        ),
        pytest.param("sla_due", _cursor(p='["2024-01-01T03:00:00", 1]'), id="naive-time"),
        pytest.param("sla_due", _cursor(p='["yesterday", 1]'), id="not-a-time"),
        pytest.param("sla_due", _cursor(p="[20240101, 1]"), id="time-as-number"),
        pytest.param("sla_due", _cursor(p='["0001-01-01T00:00:00+14:00", 1]'), id="year-0"),
        pytest.param("sla_due", _cursor(p='["2024-01-01T03:00:00Z", "x"]'), id="number-text"),
        pytest.param("sla_due", _cursor(p='["2024-01-01T03:00:00Z", 1.5]'), id="number-float"),
        pytest.param("sla_due", _cursor(p='["2024-01-01T03:00:00Z", true]'), id="number-bool"),
        pytest.param(
            "sla_due", _cursor(p='["2024-01-01T03:00:00Z", 9223372036854775808]'), id="past-bigint"
        ),
        pytest.param("sla_due", _cursor(o="3", p=SLA_POSITION), id="with-an-offset"),
        pytest.param("sla_due", _cursor(o="25"), id="offset-alone"),
    ],
)
def test_tampered_due_cursor_is_400_invalid_cursor(due, ordering, cursor):
    response = _get(due, f"ordering={ordering}&cursor={cursor}")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid cursor", "code": "invalid_cursor"}


@pytest.mark.parametrize("number", [9223372036854775807, -9223372036854775808, 0])
@pytest.mark.parametrize("reverse", ["0", "1"])
def test_a_cursor_at_the_ends_of_bigint_is_a_page_not_an_error(due, number, reverse):
    cursor = _cursor(r=reverse, p=json.dumps(["2024-01-01T03:00:00+00:00", number]))

    response = _get(due, f"ordering=sla_due&cursor={cursor}")

    assert response.status_code == 200, response.content


# --- Cost -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ordering", "index"),
    [
        ("sla_due", "tickets_ticket_sla_due_ord_idx"),
        ("first_response_due_at", "tickets_ticket_fr_due_ord_idx"),
        ("resolution_due_at", "tickets_ticket_res_due_ord_idx"),
        # '-' is the exact reverse: the same index, read backwards.
        ("-sla_due", "tickets_ticket_sla_due_ord_idx"),
        ("-first_response_due_at", "tickets_ticket_fr_due_ord_idx"),
        ("-resolution_due_at", "tickets_ticket_res_due_ord_idx"),
    ],
)
def test_a_later_page_starts_in_the_index_at_its_position(due, ordering, index):
    """The cursor's row comparison is a condition of the index scan, under row-level
    security — not a filter over every row before the position (as with a COALESCE key,
    which PostgreSQL counts as leaky). The tables are tiny: sorting is switched off."""
    first = _get(due, f"ordering={ordering}&page_size=2").json()
    with CaptureQueriesContext(connection) as queries:
        assert due.client.get(first["next"]).status_code == 200
    direction, scan_kind = (
        ("DESC", "Index Scan Backward") if "-" in ordering else ("ASC", "Index Scan")
    )
    [page_sql] = [
        q["sql"] for q in queries if f'"tickets_ticket"."number" {direction} LIMIT' in q["sql"]
    ]

    with tenant_context(due.tenant), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {page_sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    scan = plan[plan.index(f"{scan_kind} using {index} on tickets_ticket ") :]
    condition = scan.splitlines()[1]
    assert "Index Cond:" in condition and "ROW(" in condition, plan
