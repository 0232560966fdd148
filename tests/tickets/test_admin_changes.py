"""Changing tickets and customers in the tenant-scoped admin: only through the services, refused
moves and assignees, no add or delete, erased and other tenants' customers untouched."""

import pytest
from django.contrib.messages import get_messages

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.admin_helpers import CUSTOMERS, TICKETS, change_url
from tickets import services
from tickets.models import Customer, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _post_data(response, **overrides) -> dict:
    """The change form as the browser would send it: field values and inline management data."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if hasattr(value, "pk"):
            value = value.pk
        if value is not None:
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management.initial.get(name, 0)
    data.update(overrides)
    data["_save"] = "Save"
    return {key: value for key, value in data.items() if value is not None}


def _ticket(tenant, pk) -> Ticket:
    with tenant_context(tenant):
        return Ticket.objects.get(pk=pk)


# --- Changing a ticket ----------------------------------------------------------------------------


def test_supervisor_changes_a_ticket_through_the_service(
    admin_login, member, seeded, tenant, agent
):
    supervisor = member(Role.SUPERVISOR)
    client = admin_login(supervisor)
    url = change_url(TICKETS, seeded["own"])
    before = _ticket(tenant, seeded["own"].pk)

    response = client.post(
        url,
        _post_data(client.get(url), status="in_progress", priority="low", assignee=agent.user.pk),
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    after = _ticket(tenant, seeded["own"].pk)
    assert (after.status, after.priority, after.assignee_id) == (
        "in_progress",
        "low",
        agent.user.pk,
    )
    assert after.version == before.version + 1
    with tenant_context(tenant):
        history = set(
            TicketEvent.objects.filter(ticket_id=after.pk, actor_user=supervisor.user).values_list(
                "field", "old_value", "new_value"
            )
        )
    assert history == {
        ("status", "open", "in_progress"),
        ("priority", "high", "low"),
        ("assignee", None, str(agent.user.public_id)),
    }


def test_illegal_status_move_is_refused_with_a_message(admin_login, member, seeded, tenant):
    with tenant_context(tenant):
        services.ticket_update(
            tenant=tenant, actor=Actor(), ticket=seeded["own"], status="in_progress"
        )
    before = _ticket(tenant, seeded["own"].pk)
    client = admin_login(member(Role.SUPERVISOR))
    url = change_url(TICKETS, seeded["own"])

    form_page = client.get(url)
    offered = [value for value, _ in form_page.context["adminform"].form.fields["status"].choices]
    response = client.post(url, _post_data(form_page, status="closed", subject="Renamed"))

    # Only the moves the workflow allows are offered; a forged one is a form error.
    assert offered == ["open", "in_progress", "pending", "resolved"]
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert not any("changed successfully" in text for text in messages_of(response))
    after = _ticket(tenant, seeded["own"].pk)
    assert (after.status, after.subject, after.version) == (
        before.status,
        before.subject,
        before.version,
    )


def test_viewer_of_the_tenant_cannot_be_assigned(admin_login, member, seeded, tenant):
    viewer = member(Role.VIEWER)
    client = admin_login(member(Role.SUPERVISOR))
    url = change_url(TICKETS, seeded["own"])

    form_page = client.get(url)
    offered = {user.pk for user in form_page.context["adminform"].form.fields["assignee"].queryset}
    response = client.post(url, _post_data(form_page, assignee=viewer.user.pk))

    # Not offered; forged, a form error ("not one of the available choices"), nothing saved.
    assert viewer.user.pk not in offered
    assert "assignee" in response.context["adminform"].form.errors
    assert _ticket(tenant, seeded["own"].pk).assignee_id is None


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.OWNER])
def test_tickets_are_neither_added_nor_deleted_in_the_admin(
    admin_login, member, seeded, tenant, role
):
    client = admin_login(member(role))

    added = client.get(f"{TICKETS}add/")
    deleted = client.post(f"{TICKETS}{seeded['own'].number}/delete/", {"post": "yes"})

    assert (added.status_code, deleted.status_code) == (403, 403)
    with tenant_context(tenant):
        assert Ticket.objects.filter(pk=seeded["own"].pk).exists()


# --- Changing a customer --------------------------------------------------------------------------


def test_customer_change_goes_through_the_service(admin_login, member, seeded, tenant):
    customer = seeded["own_customer"]
    client = admin_login(member(Role.SUPERVISOR))
    url = change_url(CUSTOMERS, customer)

    response = client.post(url, _post_data(client.get(url), name="Renamed", tier="basic"))

    assert response.status_code == 302
    with tenant_context(tenant):
        stored = Customer.objects.get(pk=customer.pk)
    assert (stored.name, stored.tier, stored.version) == ("Renamed", "basic", customer.version + 1)


def test_customer_email_taken_in_the_tenant_is_refused(admin_login, member, seeded, tenant):
    customer = seeded["own_customer"]
    client = admin_login(member(Role.SUPERVISOR))
    url = change_url(CUSTOMERS, customer)

    response = client.post(url, _post_data(client.get(url), email="SECOND@example.test"))

    assert any("already exists" in text for text in messages_of(response))
    with tenant_context(tenant):
        stored = Customer.objects.get(pk=customer.pk)
    assert (stored.email, stored.version) == ("shared@example.test", customer.version)


def test_erased_customer_is_read_only(admin_login, member, seeded, tenant):
    customer = seeded["own_customer"]
    with tenant_context(tenant):
        erased = services.customer_erase(tenant=tenant, actor=Actor(), customer=customer)
    client = admin_login(member(Role.ADMIN))
    url = change_url(CUSTOMERS, customer)

    page = client.get(url)
    response = client.post(url, {"name": "Back again", "tier": "free", "_save": "Save"})

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert response.status_code == 403
    with tenant_context(tenant):
        stored = Customer.objects.get(pk=customer.pk)
    assert (stored.name, stored.version) == ("", erased.version)


def test_other_tenants_customer_cannot_be_changed(admin_login, member, seeded, other_tenant):
    foreign = seeded["foreign_customer"]

    response = admin_login(member(Role.ADMIN)).post(
        change_url(CUSTOMERS, foreign),
        {"email": "x@example.test", "name": "Hijacked", "tier": "free", "_save": "Save"},
    )

    assert response.status_code in (302, 404)
    with tenant_context(other_tenant):
        stored = Customer.objects.get(pk=foreign.pk)
    assert (stored.name, stored.email) == ("Bravo Person", "shared@example.test")


# --- Optimistic locking: a stale form never overwrites a newer change ------------------------


def test_a_stale_ticket_form_is_refused_and_the_newer_change_kept(
    admin_login, member, seeded, tenant
):
    client = admin_login(member(Role.SUPERVISOR))
    url = change_url(TICKETS, seeded["own"])
    stale = client.get(url)  # the supervisor opens the form…
    with tenant_context(tenant):  # …meanwhile the API changes the ticket
        services.ticket_update(
            tenant=tenant, actor=Actor(), ticket=_ticket(tenant, seeded["own"].pk), priority="low"
        )
    newer = _ticket(tenant, seeded["own"].pk)

    response = client.post(url, _post_data(stale, status="in_progress"), follow=True)

    after = _ticket(tenant, seeded["own"].pk)
    assert (after.priority, after.status, after.version) == ("low", "open", newer.version)
    [message] = messages_of(response)
    assert message.startswith("Someone changed this ticket after you opened the form")
    assert f"version {newer.version}" in message
    # What the form shows now is the current ticket, ready to be changed again.
    form = response.context["adminform"].form
    assert (form.initial["priority"], form.fields["_version"].initial) == ("low", newer.version)


def test_a_fresh_form_after_a_refusal_saves(admin_login, member, seeded, tenant):
    client = admin_login(member(Role.SUPERVISOR))
    url = change_url(TICKETS, seeded["own"])
    with tenant_context(tenant):
        services.ticket_update(
            tenant=tenant, actor=Actor(), ticket=_ticket(tenant, seeded["own"].pk), priority="low"
        )

    response = client.post(url, _post_data(client.get(url), status="in_progress"))

    assert response.status_code == 302
    assert _ticket(tenant, seeded["own"].pk).status == "in_progress"


def test_a_stale_customer_form_is_refused(admin_login, member, seeded, tenant):
    client = admin_login(member(Role.SUPERVISOR))
    customer = seeded["own"].requester
    url = change_url(CUSTOMERS, customer)
    stale = client.get(url)
    with tenant_context(tenant):
        services.customer_update(
            tenant=tenant, actor=Actor(), customer=Customer.objects.get(pk=customer.pk), name="New"
        )

    response = client.post(url, _post_data(stale, company="Stale Inc"), follow=True)

    with tenant_context(tenant):
        after = Customer.objects.get(pk=customer.pk)
    assert (after.name, after.company) == ("New", customer.company)
    assert messages_of(response)[0].startswith("Someone changed this customer")


# --- The ticket page: the conversation, tags, one readable history ---------------------------


def _comments(tenant, ticket_pk):
    from tickets.models import Comment

    with tenant_context(tenant):
        return list(
            Comment.objects.filter(ticket_id=ticket_pk)
            .order_by("created_at", "id")
            .values_list("body", "public", "author_user_id")
        )


@pytest.mark.parametrize("public", [False, True])
def test_a_note_or_a_public_reply_is_added_from_the_ticket_page(
    admin_login, member, seeded, tenant, public
):
    boss = member(Role.SUPERVISOR)
    client = admin_login(boss)
    url = change_url(TICKETS, seeded["own"])
    before = _comments(tenant, seeded["own"].pk)
    data = {"reply": "Checked the printer: toner."}
    if public:
        data["reply_public"] = "on"

    response = client.post(url, _post_data(client.get(url), **data))

    assert response.status_code == 302
    assert _comments(tenant, seeded["own"].pk) == [
        *before,
        ("Checked the printer: toner.", public, boss.user.pk),
    ]


def test_a_blank_reply_adds_nothing(admin_login, member, seeded, tenant):
    client = admin_login(member(Role.SUPERVISOR))
    url = change_url(TICKETS, seeded["own"])
    before = _comments(tenant, seeded["own"].pk)

    client.post(url, _post_data(client.get(url), reply="   "))

    assert _comments(tenant, seeded["own"].pk) == before


def test_tags_are_edited_through_the_service(admin_login, member, seeded, tenant):
    client = admin_login(member(Role.SUPERVISOR))
    url = change_url(TICKETS, seeded["own"])

    response = client.post(url, _post_data(client.get(url), tags="printer,VIP"))

    assert response.status_code == 302
    after = _ticket(tenant, seeded["own"].pk)
    assert sorted(after.tags) == ["printer", "vip"]
    with tenant_context(tenant):
        assert TicketEvent.objects.filter(ticket_id=after.pk, field="tags").count() == 1


def test_the_history_shows_people_and_values_as_people_read_them(
    admin_login, member, seeded, tenant, agent
):
    with tenant_context(tenant):
        services.ticket_update(
            tenant=tenant, actor=Actor(), ticket=seeded["own"], assignee=agent.user
        )
    client = admin_login(member(Role.SUPERVISOR))

    page = client.get(change_url(TICKETS, seeded["own"])).content.decode()

    assert f"{agent.user.name} &lt;{agent.user.email}&gt;" in page
    assert str(agent.user.public_id) not in page
    assert "&quot;open&quot;" not in page and '"\\"created\\""' not in page
    assert "shared@example.test" in page  # the requester, by email (and name when known)


def test_the_history_link_shows_the_tickets_own_history(admin_login, member, seeded):
    client = admin_login(member(Role.SUPERVISOR))

    response = client.get(f"{change_url(TICKETS, seeded['own'])[: -len('change/')]}history/")

    assert response.status_code == 302
    assert response.url == change_url(TICKETS, seeded["own"]) + "#events-group"


@pytest.mark.parametrize(
    "value, field, shown",
    [
        (None, "assignee", "—"),
        ("u-1", "assignee", "Ann <ann@example.test>"),
        ("u-gone", "assignee", "a former member"),
        ("in_progress", "status", "in progress"),
        (["a", "b"], "tags", "a, b"),
        ([], "tags", "—"),
        (True, "escalated", "yes"),
        ({"minutes": 5}, "sla", "minutes: 5"),
        ("Printer", "subject", "Printer"),
        ("2026-01-15T18:30:00+00:00", "first_response_at", "Jan. 15, 2026, 6:30 p.m."),
    ],
)
def test_history_values_read_as_text(value, field, shown):
    from tickets.admin import history_value

    assert history_value(value, field, {"u-1": "Ann <ann@example.test>"}) == shown
