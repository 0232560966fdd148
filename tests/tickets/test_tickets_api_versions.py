"""The ticket API's versions and deletion: ETag / If-Match on read and patch, and who may
delete a ticket (the audit log keeps it)."""

import pytest

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tenants.helpers import audit_log_rows
from tests.tickets.helpers import make_ticket
from tests.tickets.tickets_api_helpers import _counts, _reload
from tickets import services


@pytest.fixture
def client(api_client, agent):
    return api_client(agent)


# --- ETag / If-Match ------------------------------------------------------------------------------


def test_get_and_patch_carry_the_version_as_etag(tenant, client, tickets_url):
    ticket = make_ticket(tenant, subject="Printer on fire")
    url = f"{tickets_url}{ticket.number}/"

    got = client.get(url)
    patched = client.patch(url, {"priority": "high"}, format="json")

    assert got["ETag"] == f'"{got.json()["version"]}"' == '"1"'
    assert patched["ETag"] == f'"{patched.json()["version"]}"' == '"2"'


@pytest.mark.parametrize(
    ("if_match", "expected"),
    [
        pytest.param('"1"', 200, id="current"),
        pytest.param("*", 200, id="any"),
        pytest.param('W/"1"', 200, id="weakened-by-a-proxy"),
        pytest.param("1", 200, id="unquoted"),
        pytest.param('"0"', 412, id="stale"),
        pytest.param('"2"', 412, id="future"),
        pytest.param("1.0", 412, id="malformed-number"),
        pytest.param('"abc"', 412, id="malformed-word"),
        pytest.param('"-1"', 412, id="negative"),
        pytest.param('"\u00b2"', 412, id="superscript-digit"),
        pytest.param('"' + "9" * 40 + '"', 412, id="huge"),
        pytest.param('""', 412, id="empty-tag"),
        # RFC 9110 §13.1.1: a list of tags matches when any of them is current.
        pytest.param('"0", "1"', 200, id="list-with-current-last"),
        pytest.param('"1","7"', 200, id="list-with-current-first"),
        pytest.param('"5" , W/"1"', 200, id="list-with-weakened-current"),
        pytest.param('"abc", "1"', 200, id="list-with-a-malformed-tag-and-current"),
        pytest.param('"0", "2"', 412, id="list-without-current"),
        pytest.param('"x", "y"', 412, id="list-of-malformed-tags"),
        pytest.param(",", 412, id="list-of-nothing"),
    ],
)
def test_if_match_guards_patch(tenant, client, tickets_url, if_match, expected):
    ticket = make_ticket(tenant, subject="Printer on fire")
    before = _counts(tenant)

    response = client.patch(
        f"{tickets_url}{ticket.number}/",
        {"priority": "high"},
        format="json",
        HTTP_IF_MATCH=if_match,
    )

    assert response.status_code == expected, response.content
    assert _reload(tenant, ticket).priority == ("high" if expected == 200 else "medium")
    assert _counts(tenant)["events"] == before["events"] + (expected == 200)


def test_stale_if_match_names_the_current_version(tenant, client, tickets_url):
    ticket = make_ticket(tenant, subject="Printer on fire")

    response = client.patch(
        f"{tickets_url}{ticket.number}/", {"priority": "high"}, format="json", HTTP_IF_MATCH='"7"'
    )

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert response.json()["extra"] == {"version": 1}


# --- Delete ---------------------------------------------------------------------------------------


def test_admin_deletes_a_ticket_and_the_audit_log_keeps_it(tenant, member, api_client, tickets_url):
    admin = member(Role.ADMIN)
    ticket = make_ticket(tenant, subject="Printer on fire")
    with tenant_context(tenant):
        services.comment_create(tenant=tenant, actor=Actor(), ticket=ticket, body="Hi")
    client = api_client(admin)

    response = client.delete(f"{tickets_url}{ticket.number}/")

    assert response.status_code == 204
    assert client.get(f"{tickets_url}{ticket.number}/").status_code == 404
    assert _counts(tenant) == {"tickets": 0, "customers": 1, "comments": 0, "events": 0}
    rows = audit_log_rows(
        tenant, "ticket.deleted", fields=("target_id", "target_label", "actor_label")
    )
    assert rows == [
        {
            "target_id": str(ticket.number),
            "target_label": f"#{ticket.number}",  # no subject (PII) in the append-only log
            "actor_label": admin.user.email,
        }
    ]


def test_agent_cannot_delete_a_ticket(tenant, client, tickets_url):
    ticket = make_ticket(tenant, subject="Printer on fire")
    before = _counts(tenant)

    response = client.delete(f"{tickets_url}{ticket.number}/")

    assert response.status_code == 403
    assert _counts(tenant) == before
    assert audit_log_rows(tenant, "ticket.deleted", fields=("target_id",)) == []
