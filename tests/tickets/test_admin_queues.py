"""Running a queue in the admin: the queue views, the columns, the tag filter and the bulk
actions (through the bulk service: all or nothing, with a message), and the choices the change
form offers."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.admin_helpers import TICKETS, change_url
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def queue(tenant, other_tenant, agent):
    """Tickets in every queue of the acting tenant, and one of another tenant in all of them."""
    team = Actor(user=agent.user, role=Role.AGENT)

    def make(subject, tenant=tenant, **fields):
        with tenant_context(tenant):
            return services.ticket_create(
                tenant=tenant,
                actor=team,
                subject=subject,
                customer_email=f"{subject.lower().replace(' ', '-')}@example.test",
                **fields,
            )

    tickets = {
        "unassigned": make("Unassigned low", priority="low"),
        "urgent": make("Urgent critical", priority="critical"),
        "mine": make("Mine", assignee=agent.user),
        "waiting": make("Waiting", assignee=agent.user),
        "breached": make("Breached", assignee=agent.user),
        "escalated": make("Escalated", assignee=agent.user, tags=["vip"]),
        "done": make("Done", assignee=agent.user),
        "foreign": make("Foreign critical", tenant=other_tenant, priority="critical"),
    }
    with tenant_context(tenant):
        services.ticket_update(
            tenant=tenant, actor=team, ticket=tickets["waiting"], status="pending"
        )
        services.ticket_update(tenant=tenant, actor=team, ticket=tickets["done"], status="resolved")
        Ticket.objects.filter(pk=tickets["breached"].pk).update(
            sla_breached=True, resolution_due_at=timezone.now() - timedelta(hours=1)
        )
        Ticket.objects.filter(pk=tickets["escalated"].pk).update(escalated=True)
    return tickets


def _listed(client, **params) -> set[str]:
    response = client.get(TICKETS, params)
    assert response.status_code == 200
    return {ticket.subject for ticket in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "view, expected",
    [
        ("unassigned", {"Unassigned low", "Urgent critical"}),
        ("urgent", {"Urgent critical"}),
        ("breached", {"Breached"}),
        ("escalated", {"Escalated"}),
        ("waiting", {"Waiting"}),
    ],
)
def test_each_queue_view_lists_its_tickets_of_this_tenant(
    admin_login, member, queue, view, expected
):
    client = admin_login(member(Role.SUPERVISOR))

    assert _listed(client, queue=view) == expected


def test_mine_is_the_supervisors_own_unfinished_tickets(admin_login, member, queue, tenant):
    boss = member(Role.SUPERVISOR)
    with tenant_context(tenant):
        services.ticket_update(
            tenant=tenant, actor=Actor(), ticket=queue["mine"], assignee=boss.user
        )
    client = admin_login(boss)

    assert _listed(client, queue="mine") == {"Mine"}


def test_at_risk_is_a_running_clock_due_within_the_hour(admin_login, member, queue, tenant):
    with tenant_context(tenant):
        Ticket.objects.filter(pk=queue["mine"].pk).update(
            first_response_due_at=timezone.now() + timedelta(minutes=30)
        )
        Ticket.objects.exclude(pk=queue["mine"].pk).update(
            first_response_due_at=timezone.now() + timedelta(days=3),
            resolution_due_at=timezone.now() + timedelta(days=3),
        )
    client = admin_login(member(Role.SUPERVISOR))

    assert _listed(client, queue="at_risk") == {"Mine"}


def test_the_tag_filter_offers_recent_tags_and_filters(admin_login, member, queue):
    client = admin_login(member(Role.SUPERVISOR))

    response = client.get(TICKETS)
    tag_filter = next(f for f in response.context["cl"].filter_specs if f.title == "tag")

    assert [value for value, _ in tag_filter.lookup_choices] == ["vip"]
    assert _listed(client, tag="vip") == {"Escalated"}


def test_the_list_shows_people_sla_due_and_urgency(admin_login, member, queue, agent):
    client = admin_login(member(Role.SUPERVISOR))

    content = client.get(TICKETS, {"queue": "urgent"}).content.decode()

    assert "urgent-critical@example.test" in content
    assert 'alt="True"' in content  # the urgent flag
    mine = client.get(TICKETS, {"queue": "escalated"}).content.decode()
    assert agent.user.name in mine


# --- Bulk actions ---------------------------------------------------------------------------


def _act(client, action, tickets, **extra):
    return client.post(
        TICKETS,
        {"action": action, "_selected_action": [str(t.pk) for t in tickets], **extra},
        follow=True,
    )


def _state(tenant, *tickets):
    with tenant_context(tenant):
        return [
            Ticket.objects.values_list("status", "priority", "assignee_id").get(pk=t.pk)
            for t in tickets
        ]


def test_bulk_priority_goes_through_the_service_with_history(admin_login, member, queue, tenant):
    client = admin_login(member(Role.SUPERVISOR))
    chosen = [queue["unassigned"], queue["mine"]]

    response = _act(client, "set_priority_high", chosen)

    assert [p for _, p, _ in _state(tenant, *chosen)] == ["high", "high"]
    assert _messages(response) == ["Priority high: 2 ticket(s)."]
    with tenant_context(tenant):
        assert queue["unassigned"].events.filter(field="priority").count() == 1


def test_bulk_assign_to_me_and_unassign(admin_login, member, queue, tenant):
    boss = member(Role.SUPERVISOR)
    client = admin_login(boss)

    _act(client, "assign_to_me", [queue["unassigned"]])
    assigned = _state(tenant, queue["unassigned"])
    _act(client, "unassign", [queue["unassigned"]])

    assert assigned[0][2] == boss.user.pk
    assert _state(tenant, queue["unassigned"])[0][2] is None


def test_bulk_is_all_or_nothing_with_a_message_naming_the_refused(
    admin_login, member, queue, tenant
):
    client = admin_login(member(Role.SUPERVISOR))
    chosen = [queue["unassigned"], queue["waiting"]]  # open -> pending fine, pending -> …
    before = _state(tenant, *chosen, queue["done"])

    response = _act(client, "set_status_in_progress", [*chosen, queue["done"]])

    [message] = _messages(response)
    assert message.startswith("Nothing was changed:")
    assert f"#{queue['done'].number}" in message
    assert _state(tenant, *chosen, queue["done"]) == before


def test_assign_to_asks_whom_then_assigns_only_assignable_members(
    admin_login, member, queue, tenant, agent
):
    client = admin_login(member(Role.SUPERVISOR))
    viewer = member(Role.VIEWER)
    chosen = [queue["unassigned"], queue["urgent"]]

    page = _act(client, "assign_to", chosen)
    offered = {u.pk for u in page.context["form"].fields["assignee"].queryset}
    done = _act(client, "assign_to", chosen, apply="Assign", assignee=str(agent.user.pk))
    refused = _act(client, "assign_to", chosen, apply="Assign", assignee=str(viewer.user.pk))

    assert agent.user.pk in offered and viewer.user.pk not in offered
    assert [a for _, _, a in _state(tenant, *chosen)] == [agent.user.pk] * 2
    assert any(m.startswith("Assigned to") for m in _messages(done))
    assert refused.context["form"].errors  # not a choice: nothing else happens


def test_bulk_actions_are_for_supervisors(admin_login, member, queue, tenant):
    client = admin_login(member(Role.SUPERVISOR))

    actions = {
        name for name, _ in client.get(TICKETS).context["action_form"].fields["action"].choices
    }

    assert {"assign_to_me", "assign_to", "unassign", "set_status_closed"} <= actions


def test_more_than_a_bulk_is_refused(admin_login, member, queue, tenant, monkeypatch):
    monkeypatch.setattr("tickets.admin_queues.BULK_MAX_TICKETS", 1)
    client = admin_login(member(Role.SUPERVISOR))
    chosen = [queue["unassigned"], queue["urgent"]]

    response = _act(client, "set_priority_low", chosen)

    assert _messages(response) == [
        "Select at most 1 tickets at a time (2 selected); nothing was changed."
    ]
    assert [p for _, p, _ in _state(tenant, *chosen)] == ["low", "critical"]


# --- The change form offers what the services accept ---------------------------------------------


def test_the_assignee_choices_are_the_assignable_members(admin_login, member, queue, agent):
    viewer = member(Role.VIEWER)
    client = admin_login(member(Role.SUPERVISOR))

    form = client.get(change_url(TICKETS, queue["unassigned"])).context["adminform"].form
    offered = {user.pk for user in form.fields["assignee"].queryset}

    assert agent.user.pk in offered
    assert viewer.user.pk not in offered
