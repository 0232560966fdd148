"""The member's in-app notifications and preferences, and the supervisors' delivery log."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import Notification
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Role
from tests.errors import field_errors
from tests.notifications.helpers import deliveries
from tests.notifications.recipes import email_delivery_recipe, notification_recipe
from tests.tickets.helpers import make_ticket
from tickets import services

pytestmark = pytest.mark.django_db


def _url(tenant, path=""):
    return f"/api/v1/t/{tenant.slug}/{path}"


def _note(tenant, user, **fields):
    with tenant_context(tenant):
        return notification_recipe.make(tenant=tenant, user=user, **fields)


@pytest.fixture
def agent(member):
    return member(Role.AGENT)


@pytest.fixture
def client(agent, api_client):
    return api_client(agent)


def test_the_list_holds_only_my_notifications_unread_first(tenant, agent, member, client):
    now = timezone.now()
    old_unread = _note(tenant, agent.user, created_at=now - timedelta(days=3))
    new_read = _note(tenant, agent.user, created_at=now, read_at=now)
    new_unread = _note(tenant, agent.user, created_at=now - timedelta(hours=1))
    _note(tenant, member(Role.AGENT).user)  # someone else's

    response = client.get(_url(tenant, "notifications/"))

    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == [str(n.public_id) for n in (new_unread, old_unread, new_read)]
    assert [row["read"] for row in response.json()["results"]] == [False, False, True]


def test_pages_follow_the_unread_first_order(tenant, agent, client):
    now = timezone.now()
    made = [
        _note(
            tenant,
            agent.user,
            created_at=now - timedelta(minutes=i),
            read_at=now if i % 2 else None,
        )
        for i in range(5)
    ]
    expected = [str(n.public_id) for n in made if n.read_at is None] + [
        str(n.public_id) for n in made if n.read_at is not None
    ]

    seen, url = [], _url(tenant, "notifications/?page_size=2")
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]

    assert seen == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("unread=true", ["unread"]),
        ("unread=false", ["read", "sla"]),
        ("kind=sla_breached", ["sla"]),
    ],
)
def test_filters(tenant, agent, client, query, expected):
    now = timezone.now()
    notes = {
        "unread": _note(tenant, agent.user, kind="assigned_to_you"),
        "read": _note(tenant, agent.user, kind="assigned_to_you", read_at=now),
        "sla": _note(tenant, agent.user, kind="sla_breached", read_at=now),
    }
    by_id = {str(n.public_id): name for name, n in notes.items()}

    response = client.get(_url(tenant, f"notifications/?{query}"))

    assert sorted(by_id[row["id"]] for row in response.json()["results"]) == expected


@pytest.mark.parametrize(
    "query", ["unread=maybe", "kind=nope", "ticket=0", "ticket=1.5", f"ticket={2**63}"]
)
def test_bad_filters_are_a_400_naming_the_filter(tenant, client, query):
    response = client.get(_url(tenant, f"notifications/?{query}"))

    assert response.status_code == 400
    assert set(field_errors(response)) == {query.split("=")[0]}


def test_reading_one_marks_it_once(tenant, agent, client):
    note = _note(tenant, agent.user)

    first = client.post(_url(tenant, f"notifications/{note.public_id}/read/"))
    second = client.post(_url(tenant, f"notifications/{note.public_id}/read/"))

    assert first.status_code == second.status_code == 200
    assert first.json()["read"] is True
    assert first.json()["read_at"] == second.json()["read_at"]  # the first time is kept


def test_another_members_notification_is_404_and_stays_unread(tenant, member, client):
    theirs = _note(tenant, member(Role.AGENT).user)

    response = client.post(_url(tenant, f"notifications/{theirs.public_id}/read/"))

    assert response.status_code == 404
    with tenant_context(tenant):
        assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_read_all_and_the_unread_count(tenant, agent, member, client):
    for _ in range(3):
        _note(tenant, agent.user)
    _note(tenant, agent.user, read_at=timezone.now())
    theirs = _note(tenant, member(Role.AGENT).user)

    before = client.get(_url(tenant, "notifications/unread-count/")).json()
    marked = client.post(_url(tenant, "notifications/read-all/")).json()
    after = client.get(_url(tenant, "notifications/unread-count/")).json()

    assert (before, marked, after) == ({"unread": 3}, {"marked": 3}, {"unread": 0})
    with tenant_context(tenant):
        assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_an_api_key_has_no_inbox(tenant, api_key_client):
    key, _ = api_key_client(tenant, Role.ADMIN)

    response = key.get(_url(tenant, "notifications/"))

    assert response.status_code == 403
    assert response.json()["code"] == "no_inbox"


def test_the_list_costs_the_same_for_1_and_30(tenant, agent, client):
    _note(tenant, agent.user)
    with CaptureQueriesContext(connection) as one:
        client.get(_url(tenant, "notifications/"))
    for _ in range(29):
        _note(tenant, agent.user)
    with CaptureQueriesContext(connection) as many:
        response = client.get(_url(tenant, "notifications/"))

    assert len(response.json()["results"]) == 25
    assert len(one.captured_queries) == len(many.captured_queries)


# --- Preferences --------------------------------------------------------------------------------


def test_preferences_start_all_on(tenant, client):
    response = client.get(_url(tenant, "notification-preferences/"))

    assert response.status_code == 200
    assert response.json() == {
        kind: {"email": True, "in_app": True}
        for kind in ("assigned_to_you", "customer_replied", "sla_breached", "ticket_escalated")
    }


def test_switching_email_off_stops_the_email_but_not_the_in_app_notification(
    tenant, agent, client, member, mailoutbox, django_capture_on_commit_callbacks
):
    response = client.patch(
        _url(tenant, "notification-preferences/"),
        {"assigned_to_you": {"email": False}},
        format="json",
    )
    supervisor = member(Role.SUPERVISOR)
    ticket = make_ticket(tenant)

    with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
        services.ticket_update(
            tenant=tenant,
            actor=Actor(user=supervisor.user, role=Role.SUPERVISOR),
            ticket=ticket,
            assignee=agent.user,
        )

    assert response.json()["assigned_to_you"] == {"email": False, "in_app": True}
    assert mailoutbox == []
    titles = [row["title"] for row in client.get(_url(tenant, "notifications/")).json()["results"]]
    assert titles == [f"Ticket #{ticket.number} was assigned to you"]


def test_switching_in_app_off_stops_the_in_app_notification(
    tenant, agent, client, member, django_capture_on_commit_callbacks
):
    client.patch(
        _url(tenant, "notification-preferences/"),
        {"assigned_to_you": {"in_app": False}},
        format="json",
    )
    ticket = make_ticket(tenant)
    with tenant_context(tenant):
        services.ticket_update(tenant=tenant, actor=Actor(), ticket=ticket, assignee=agent.user)

    assert client.get(_url(tenant, "notifications/")).json()["results"] == []
    assert [r.kind for r in deliveries(tenant, kind="assigned_to_you")] == ["assigned_to_you"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"nope": {"email": False}}, "nope"),
        ({"assigned_to_you": {"sms": False}}, "assigned_to_you"),
        ({"assigned_to_you": {"email": "no"}}, "assigned_to_you"),
        ({"assigned_to_you": False}, "assigned_to_you"),
        (["assigned_to_you"], "non_field_errors"),
    ],
)
def test_bad_preferences_are_a_400_and_change_nothing(tenant, client, body, field):
    response = client.patch(_url(tenant, "notification-preferences/"), body, format="json")

    assert response.status_code == 400
    assert field in field_errors(response)
    current = client.get(_url(tenant, "notification-preferences/")).json()
    assert all(all(choice.values()) for choice in current.values())


def test_one_bad_change_keeps_the_good_ones_out_too(tenant, client):
    body = {"assigned_to_you": {"email": False}, "nope": {"email": False}}

    client.patch(_url(tenant, "notification-preferences/"), body, format="json")

    current = client.get(_url(tenant, "notification-preferences/")).json()
    assert current["assigned_to_you"]["email"] is True


# --- The delivery log ---------------------------------------------------------------------------


@pytest.fixture
def supervisor_client(member, api_client):
    return api_client(member(Role.SUPERVISOR))


def _delivery(tenant, **fields):
    with tenant_context(tenant):
        return email_delivery_recipe.make(tenant=tenant, **fields)


def test_supervisors_see_what_failed_and_why(tenant, supervisor_client):
    dead = _delivery(tenant, status="dead", attempts=6, last_error="timed out")
    _delivery(tenant, status="sent")

    response = supervisor_client.get(_url(tenant, "notifications/deliveries/?status=dead"))

    [row] = response.json()["results"]
    assert (row["id"], row["status"], row["attempts"], row["last_error"]) == (
        str(dead.public_id),
        "dead",
        6,
        "timed out",
    )


def test_redeliver_puts_a_dead_email_back_and_audits_it(
    tenant, supervisor_client, mailoutbox, django_capture_on_commit_callbacks, member
):
    newcomer = member(Role.AGENT)
    dead = _delivery(
        tenant,
        status="dead",
        attempts=6,
        kind="member_added",
        recipient=newcomer.user.email,
        recipient_user=newcomer.user,
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(
            _url(tenant, f"notifications/deliveries/{dead.public_id}/redeliver/")
        )

    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert [m.to for m in mailoutbox] == [[newcomer.user.email]]
    assert deliveries(tenant)[0].status == "sent"
    with tenant_context(tenant):
        assert AuditLogEntry.objects.filter(action="email.redelivered").count() == 1


@pytest.mark.parametrize(
    ("status", "code"), [("sent", "delivery_already_sent"), ("pending", "delivery_not_finished")]
)
def test_redeliver_refuses_what_is_sent_or_on_its_way(tenant, supervisor_client, status, code):
    row = _delivery(tenant, status=status)

    response = supervisor_client.post(
        _url(tenant, f"notifications/deliveries/{row.public_id}/redeliver/")
    )

    assert (response.status_code, response.json()["code"]) == (409, code)
    assert deliveries(tenant)[0].status == status
