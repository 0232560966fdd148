"""Ticket rules of DESIGN.md §6: status flow, urgency, history rows, first response, events."""

import pytest
from django.core.exceptions import ValidationError

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.events import published as capture
from tests.tickets.helpers import make_ticket
from tests.tickets.recipes import customer_recipe, ticket_recipe
from tickets import services
from tickets.exceptions import InvalidStatusTransitionError, TicketClosedError
from tickets.models import Ticket, TicketEvent

# --- Status transitions (DESIGN.md §6) --------------------------------------------------------
# Every (from, to) pair, written out by hand. MOVE: allowed; REFUSED: 409
# invalid_status_transition; SAME: a no-op; FINAL: the ticket is closed, 409 ticket_closed.
MOVE, REFUSED, SAME, FINAL = "move", "refused", "same", "final"

TRANSITIONS = [
    ("open", "open", SAME),
    ("open", "in_progress", MOVE),
    ("open", "pending", MOVE),
    ("open", "resolved", MOVE),
    ("open", "closed", MOVE),
    ("in_progress", "open", MOVE),
    ("in_progress", "in_progress", SAME),
    ("in_progress", "pending", MOVE),
    ("in_progress", "resolved", MOVE),
    ("in_progress", "closed", REFUSED),
    ("pending", "open", MOVE),
    ("pending", "in_progress", MOVE),
    ("pending", "pending", SAME),
    ("pending", "resolved", MOVE),
    ("pending", "closed", REFUSED),
    ("resolved", "open", MOVE),
    ("resolved", "in_progress", REFUSED),
    ("resolved", "pending", REFUSED),
    ("resolved", "resolved", SAME),
    ("resolved", "closed", MOVE),
    ("closed", "open", FINAL),
    ("closed", "in_progress", FINAL),
    ("closed", "pending", FINAL),
    ("closed", "resolved", FINAL),
    ("closed", "closed", FINAL),
]


def transitions(outcome: str) -> list:
    return [
        pytest.param(old, new, id=f"{old}-to-{new}") for old, new, o in TRANSITIONS if o == outcome
    ]


def test_the_transition_table_covers_all_25_pairs():
    statuses = {"open", "in_progress", "pending", "resolved", "closed"}

    pairs = {(old, new) for old, new, _ in TRANSITIONS}

    assert pairs == {(a, b) for a in statuses for b in statuses}
    assert len(TRANSITIONS) == 25


@pytest.fixture
def agent(member):
    return member(Role.AGENT)


@pytest.fixture
def actor(agent):
    return Actor(user=agent.user, role=agent.role)


# The subject and requester of the tickets made here (a no-op PATCH below sends the subject).
PRINTER = {"subject": "Printer on fire", "customer_email": "a@example.test"}


def _updated_ticket(tenant, actor, **fields) -> Ticket:
    """make_ticket, then `fields` changed by ticket_update."""
    # Not make_ticket(**fields), which sets them at creation: these tests count history rows
    # and versions, and the setup's changes leave theirs (one row per field, version + 1).
    ticket = make_ticket(tenant, actor=actor, **PRINTER)
    return services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, **fields)


def _state(ticket: Ticket) -> dict:
    ticket.refresh_from_db()
    return {
        "status": ticket.status,
        "version": ticket.version,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "sla_paused": ticket.sla_paused,
        "events": TicketEvent.objects.filter(ticket=ticket).count(),
    }


@pytest.mark.parametrize(("old", "new"), transitions(MOVE))
def test_allowed_transition_moves_the_ticket_and_records_it(tenant, actor, old, new):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status=old, **PRINTER)
        before = _state(ticket)

        services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, status=new)

        after = _state(ticket)
        history = TicketEvent.objects.filter(ticket=ticket).latest("id")

    assert after["status"] == new
    assert after["version"] == before["version"] + 1
    assert after["events"] == before["events"] + 1
    assert (history.field, history.old_value, history.new_value) == ("status", old, new)
    assert (after["resolved_at"] is not None) == (new in ("resolved", "closed"))
    assert (after["closed_at"] is not None) == (new == "closed")
    assert after["sla_paused"] == (new == "pending")


@pytest.mark.parametrize(("old", "new"), transitions(REFUSED))
def test_disallowed_transition_is_refused_and_changes_nothing(tenant, actor, old, new):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status=old, **PRINTER)
        before = _state(ticket)

        with pytest.raises(InvalidStatusTransitionError) as caught:
            services.ticket_update(
                tenant=tenant, actor=actor, ticket=ticket, status=new, subject="Changed too"
            )

        after = _state(ticket)
        subject = Ticket.objects.get(pk=ticket.pk).subject

    assert caught.value.code == "invalid_status_transition"
    assert caught.value.status_code == 409
    assert caught.value.extra["from"] == old
    assert caught.value.extra["to"] == new
    assert after == before
    assert subject == "Printer on fire"


@pytest.mark.parametrize(("old", "new"), transitions(SAME))
def test_same_status_is_a_no_op(tenant, actor, old, new):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status=old, **PRINTER)
        before = _state(ticket)

        services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, status=new)

        after = _state(ticket)

    assert after == before


@pytest.mark.parametrize(("old", "new"), transitions(FINAL))
def test_closed_ticket_refuses_every_status(tenant, actor, old, new):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status=old, **PRINTER)
        before = _state(ticket)

        with pytest.raises(TicketClosedError) as caught:
            services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, status=new)

        after = _state(ticket)

    assert caught.value.code == "ticket_closed"
    assert caught.value.status_code == 409
    assert after == before


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"subject": "New subject"}, id="subject"),
        pytest.param({"priority": "high"}, id="priority"),
        pytest.param({"tags": ["late"]}, id="tags"),
        pytest.param({"category": "billing"}, id="category"),
    ],
)
def test_closed_ticket_refuses_any_other_change(tenant, actor, changes):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="closed", **PRINTER)
        before = _state(ticket)

        with pytest.raises(TicketClosedError):
            services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, **changes)

        after = _state(ticket)

    assert after == before


def test_closed_ticket_refuses_comments_and_assignment(tenant, actor, agent):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="closed", **PRINTER)
        before = _state(ticket)

        with pytest.raises(TicketClosedError):
            services.comment_create(tenant=tenant, actor=actor, ticket=ticket, body="Hello?")
        with pytest.raises(TicketClosedError):
            services.ticket_assign(tenant=tenant, actor=actor, ticket=ticket, assignee=agent.user)

        after = _state(ticket)
        comments = ticket.comments.count()

    assert after == before
    assert comments == 0


def test_closed_ticket_via_api_is_409_ticket_closed(tenant, actor, agent, api_client):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="closed", **PRINTER)

    response = api_client(agent).patch(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/", {"status": "open"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"


def test_refused_transition_via_api_is_409_with_code(tenant, actor, agent, api_client):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="resolved", **PRINTER)

    response = api_client(agent).patch(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/", {"status": "pending"}, format="json"
    )
    with tenant_context(tenant):
        status = Ticket.objects.get(pk=ticket.pk).status

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_status_transition"
    assert status == "resolved"


# --- Assignment --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "active", "home"),
    [
        pytest.param(Role.VIEWER, True, "same", id="viewer"),
        pytest.param(Role.AGENT, False, "same", id="inactive-agent"),
        pytest.param(Role.AGENT, True, "other", id="other-tenants-agent"),
    ],
)
def test_service_refuses_an_assignee_who_cannot_work_tickets_here(
    tenant, other_tenant, actor, member, role, active, home
):
    home_tenant = {"same": tenant, "other": other_tenant}[home]
    outsider = member(role, tenant=home_tenant, is_active=active).user
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, **PRINTER)
        before = _state(ticket)

        with pytest.raises(ValidationError) as caught:
            services.ticket_assign(tenant=tenant, actor=actor, ticket=ticket, assignee=outsider)

        after = _state(ticket)

    assert "assignee" in caught.value.message_dict
    assert after == before


@pytest.mark.parametrize("strategy", ["manual", "round_robin", "least_loaded", "bogus"])
def test_assign_by_strategy_is_refused_until_strategies_exist(tenant, actor, agent, strategy):
    with tenant_context(tenant):
        ticket = _updated_ticket(tenant, actor, assignee=agent.user)
        before = _state(ticket)

        with pytest.raises(ValidationError) as caught:
            services.ticket_assign(tenant=tenant, actor=actor, ticket=ticket, strategy=strategy)

        after = _state(ticket)
        assignee_id = Ticket.objects.get(pk=ticket.pk).assignee_id

    assert "strategy" in caught.value.message_dict
    assert after == before
    assert assignee_id == agent.user.pk


def test_assign_to_the_current_assignee_is_a_no_op(tenant, actor, agent):
    with tenant_context(tenant):
        ticket = _updated_ticket(tenant, actor, assignee=agent.user)
        before = _state(ticket)

        services.ticket_assign(tenant=tenant, actor=actor, ticket=ticket, assignee=agent.user)

        after = _state(ticket)

    assert after == before


# --- Timestamps of the status flow -------------------------------------------------------------


def test_resolve_sets_resolved_at_and_reopen_clears_it(tenant, actor):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="in_progress", **PRINTER)
        resolved = services.ticket_update(
            tenant=tenant, actor=actor, ticket=ticket, status="resolved"
        )
        resolved_at = resolved.resolved_at

        reopened = services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, status="open")

    assert resolved_at is not None
    assert reopened.resolved_at is None
    assert reopened.closed_at is None


def test_close_after_resolve_keeps_resolved_at_and_sets_closed_at(tenant, actor):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="resolved", **PRINTER)
        resolved_at = ticket.resolved_at

        closed = services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, status="closed")

    assert closed.resolved_at == resolved_at
    assert closed.closed_at is not None
    assert closed.closed_at >= resolved_at


def test_leaving_pending_resumes_the_sla_clock(tenant, actor):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="pending", **PRINTER)
        paused = ticket.sla_paused

        resumed = services.ticket_update(
            tenant=tenant, actor=actor, ticket=ticket, status="in_progress"
        )

    assert paused is True
    assert resumed.sla_paused is False


# --- Urgent (DESIGN.md §6: open or in_progress, unassigned, high or critical) ------------------
ASSIGNED, UNASSIGNED = "assigned", "unassigned"

URGENT = [
    ("open", UNASSIGNED, "low", False),
    ("open", UNASSIGNED, "medium", False),
    ("open", UNASSIGNED, "high", True),
    ("open", UNASSIGNED, "critical", True),
    ("open", ASSIGNED, "low", False),
    ("open", ASSIGNED, "medium", False),
    ("open", ASSIGNED, "high", False),
    ("open", ASSIGNED, "critical", False),
    ("in_progress", UNASSIGNED, "low", False),
    ("in_progress", UNASSIGNED, "medium", False),
    ("in_progress", UNASSIGNED, "high", True),
    ("in_progress", UNASSIGNED, "critical", True),
    ("in_progress", ASSIGNED, "low", False),
    ("in_progress", ASSIGNED, "medium", False),
    ("in_progress", ASSIGNED, "high", False),
    ("in_progress", ASSIGNED, "critical", False),
    ("pending", UNASSIGNED, "low", False),
    ("pending", UNASSIGNED, "medium", False),
    ("pending", UNASSIGNED, "high", False),
    ("pending", UNASSIGNED, "critical", False),
    ("pending", ASSIGNED, "low", False),
    ("pending", ASSIGNED, "medium", False),
    ("pending", ASSIGNED, "high", False),
    ("pending", ASSIGNED, "critical", False),
    ("resolved", UNASSIGNED, "low", False),
    ("resolved", UNASSIGNED, "medium", False),
    ("resolved", UNASSIGNED, "high", False),
    ("resolved", UNASSIGNED, "critical", False),
    ("resolved", ASSIGNED, "low", False),
    ("resolved", ASSIGNED, "medium", False),
    ("resolved", ASSIGNED, "high", False),
    ("resolved", ASSIGNED, "critical", False),
    ("closed", UNASSIGNED, "low", False),
    ("closed", UNASSIGNED, "medium", False),
    ("closed", UNASSIGNED, "high", False),
    ("closed", UNASSIGNED, "critical", False),
    ("closed", ASSIGNED, "low", False),
    ("closed", ASSIGNED, "medium", False),
    ("closed", ASSIGNED, "high", False),
    ("closed", ASSIGNED, "critical", False),
]


def _urgent_ticket(tenant, agent, status, assigned, priority) -> Ticket:
    return ticket_recipe.make(
        tenant=tenant,
        requester=customer_recipe.make(tenant=tenant),
        status=status,
        priority=priority,
        assignee=agent.user if assigned == ASSIGNED else None,
        subject=f"{status}/{assigned}/{priority}",
    )


@pytest.mark.parametrize(
    ("status", "assigned", "priority", "urgent"),
    [pytest.param(*row, id="-".join(map(str, row))) for row in URGENT],
)
def test_is_urgent_property(tenant, agent, api_client, status, assigned, priority, urgent):
    with tenant_context(tenant):
        ticket = _urgent_ticket(tenant, agent, status, assigned, priority)

    response = api_client(agent).get(f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/")

    assert ticket.is_urgent is urgent
    assert response.json()["is_urgent"] is urgent


def test_urgent_filter_matches_the_table(tenant, agent, api_client):
    with tenant_context(tenant):
        for status, assigned, priority, _ in URGENT:
            _urgent_ticket(tenant, agent, status, assigned, priority)
    url = f"/api/v1/t/{tenant.slug}/tickets/?page_size=100&urgent="
    client = api_client(agent)

    urgent = {t["subject"] for t in client.get(url + "true").json()["results"]}
    calm = {t["subject"] for t in client.get(url + "false").json()["results"]}

    assert urgent == {f"{s}/{a}/{p}" for s, a, p, u in URGENT if u}
    assert calm == {f"{s}/{a}/{p}" for s, a, p, u in URGENT if not u}


# --- History ----------------------------------------------------------------------------------


def test_patch_writes_one_history_row_per_changed_field(tenant, agent, member, api_client):
    supervisor = member(Role.SUPERVISOR)
    with tenant_context(tenant):
        ticket = _updated_ticket(tenant, Actor(), priority="low", tags=["a"])
        before = TicketEvent.objects.filter(ticket=ticket).count()

    response = api_client(agent).patch(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/",
        {
            "priority": "high",
            "subject": "Printer on fire",  # unchanged: no row
            "tags": ["a", "b"],
            "assignee": str(supervisor.user.public_id),
        },
        format="json",
    )
    with tenant_context(tenant):
        rows = list(
            TicketEvent.objects.filter(ticket=ticket)
            .order_by("id")
            .values_list("field", "old_value", "new_value", "actor_label", "actor_user")[before:]
        )

    assert response.status_code == 200, response.content
    assert rows == [
        ("priority", "low", "high", agent.user.email, agent.user.pk),
        ("assignee", None, str(supervisor.user.public_id), agent.user.email, agent.user.pk),
        ("tags", ["a"], ["a", "b"], agent.user.email, agent.user.pk),
    ]


def test_noop_patch_writes_no_history_and_keeps_the_version(tenant, agent, api_client):
    with tenant_context(tenant):
        ticket = _updated_ticket(tenant, Actor(), priority="low", tags=["a"])
        before = _state(ticket)

    response = api_client(agent).patch(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/",
        {"priority": "low", "tags": ["a"], "subject": "Printer on fire", "assignee": None},
        format="json",
    )
    with tenant_context(tenant):
        after = _state(ticket)

    assert response.status_code == 200, response.content
    assert response["ETag"] == f'"{before["version"]}"'
    assert after == before


def test_history_names_an_api_key_or_the_system(tenant, api_key_client):
    client, key = api_key_client(tenant, "agent")
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=Actor(), **PRINTER)

    client.patch(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/", {"priority": "high"}, format="json"
    )
    with tenant_context(tenant):
        labels = list(
            TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("actor_label")
        )

    assert labels == [("system",), (f"api-key:{key.name} ({key.prefix})",)]


# --- First response ---------------------------------------------------------------------------


def test_first_public_reply_by_a_member_sets_first_response_at_once(tenant, actor):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, **PRINTER)

        first = services.comment_create(tenant=tenant, actor=actor, ticket=ticket, body="On it")
        ticket.refresh_from_db()
        stamped = ticket.first_response_at
        services.comment_create(tenant=tenant, actor=actor, ticket=ticket, body="Still on it")
        ticket.refresh_from_db()

    assert stamped == first.created_at
    assert ticket.first_response_at == stamped


def test_internal_note_does_not_count_as_first_response(tenant, actor):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, **PRINTER)
        before = _state(ticket)

        services.comment_create(
            tenant=tenant, actor=actor, ticket=ticket, body="Customer is grumpy", public=False
        )
        ticket.refresh_from_db()
        after = _state(ticket)

    assert ticket.first_response_at is None
    assert after == before


def test_customer_reply_does_not_count_as_first_response(tenant, actor):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, **PRINTER)

        services.comment_create(
            tenant=tenant,
            actor=Actor(),
            ticket=ticket,
            body="Any news?",
            author_customer=ticket.requester,
        )
        ticket.refresh_from_db()

    assert ticket.first_response_at is None


def test_first_response_leaves_a_history_row(tenant, actor):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, **PRINTER)
        before = _state(ticket)

        services.comment_create(tenant=tenant, actor=actor, ticket=ticket, body="On it")
        after = _state(ticket)
        row = TicketEvent.objects.filter(ticket=ticket).latest("id")

    assert after["events"] == before["events"] + 1
    assert after["version"] == before["version"] + 1
    assert (row.field, row.old_value) == ("first_response_at", None)


# --- Domain events ----------------------------------------------------------------------------
EVENT_NAMES = (
    "ticket.created",
    "ticket.updated",
    "ticket.status_changed",
    "ticket.assigned",
    "comment.created",
    "customer.created",
    "customer.updated",
)


@pytest.fixture
def published():
    """The envelopes of EVENT_NAMES published during the test."""
    with capture(*EVENT_NAMES) as seen:
        yield seen


def _seen(envelopes) -> list[tuple]:
    return [(e.type, e.tenant_id, e.data) for e in envelopes]


def test_ticket_create_publishes_customer_and_ticket_created(tenant, actor, published):
    with tenant_context(tenant):
        ticket = services.ticket_create(
            tenant=tenant, actor=actor, subject="Hi", customer_email="new@example.test"
        )

    assert _seen(published) == [
        (
            "customer.created",
            tenant.pk,
            {"id": str(ticket.requester.public_id), "email": "new@example.test", "tier": "free"},
        ),
        (
            "ticket.created",
            tenant.pk,
            {
                "number": ticket.number,
                "status": "open",
                "priority": "medium",
                "channel": "api",
                "requester": str(ticket.requester.public_id),
                "assignee": None,
            },
        ),
    ]
    assert {e.actor["type"] for e in published} == {"member"}
    assert {e.visibility for e in published} == {"public"}


def test_ticket_create_with_an_assignee_also_publishes_assigned(tenant, actor, agent, published):
    with tenant_context(tenant):
        customer = services.customer_create(tenant=tenant, actor=actor, email="c@example.test")
        published.clear()

        ticket = services.ticket_create(
            tenant=tenant, actor=actor, subject="Hi", requester=customer, assignee=agent.user
        )

    assert [e.type for e in published] == ["ticket.created", "ticket.assigned"]
    assert published[1].data == {
        "number": ticket.number,
        "assignee": str(agent.user.public_id),
        "previous_assignee": None,
        "status": "open",
        "priority": "medium",
    }


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"priority": "high"}, ["ticket.updated"], id="priority"),
        pytest.param(
            {"status": "pending"}, ["ticket.updated", "ticket.status_changed"], id="status"
        ),
        pytest.param({"assignee": "agent"}, ["ticket.updated", "ticket.assigned"], id="assignee"),
        pytest.param(
            {"status": "in_progress", "assignee": "agent", "subject": "x"},
            ["ticket.updated", "ticket.status_changed", "ticket.assigned"],
            id="all",
        ),
        pytest.param({"priority": "medium", "status": "open"}, [], id="no-op"),
    ],
)
def test_ticket_update_publishes_per_kind_of_change(
    tenant, actor, agent, published, changes, expected
):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, **PRINTER)
        published.clear()
        resolved = {k: agent.user if v == "agent" else v for k, v in changes.items()}

        services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, **resolved)

    assert [e.type for e in published] == expected
    assert all(e.data["number"] == ticket.number for e in published)


def test_refused_update_publishes_nothing(tenant, actor, published):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, status="resolved", **PRINTER)
        published.clear()

        with pytest.raises(InvalidStatusTransitionError):
            services.ticket_update(tenant=tenant, actor=actor, ticket=ticket, status="pending")

    assert published == []


def test_comment_create_publishes_comment_created(tenant, actor, published):
    with tenant_context(tenant):
        ticket = make_ticket(tenant, actor=actor, **PRINTER)
        published.clear()

        comment = services.comment_create(
            tenant=tenant, actor=actor, ticket=ticket, body="Note", public=False
        )

    assert _seen(published) == [
        (
            "comment.created",
            tenant.pk,
            {"ticket": ticket.number, "comment": str(comment.public_id), "public": False},
        )
    ]
    assert published[0].visibility == "internal"


def test_customer_update_publishes_only_real_changes(tenant, actor, published):
    with tenant_context(tenant):
        customer = services.customer_create(tenant=tenant, actor=actor, email="c@example.test")

        services.customer_update(tenant=tenant, actor=actor, customer=customer, tier="free")
        services.customer_update(
            tenant=tenant, actor=actor, customer=customer, tier="premium", name="Cee"
        )

    assert [(e.type, e.data.get("changed")) for e in published] == [
        ("customer.created", None),
        ("customer.updated", ["name", "tier"]),
    ]


def test_find_or_create_publishes_created_only_for_a_new_customer(tenant, actor, published):
    with tenant_context(tenant):
        first = services.customer_find_or_create(tenant=tenant, actor=actor, email="c@example.test")
        again = services.customer_find_or_create(tenant=tenant, actor=actor, email="C@Example.TEST")

    assert again.pk == first.pk
    assert [e.type for e in published] == ["customer.created"]
