"""What an inbound email becomes: a new ticket, the requester's reply on the ticket it answers
(found by subject or by header), a ticket of its own for anyone else, a follow-up of a closed
ticket, nothing for a message received before; erased customers stay erased."""

import pytest

from notifications.models import InboundStatus
from tenants.access import Actor
from tenants.context import tenant_context
from tests.notifications.helpers import deliveries
from tests.notifications.inbound_helpers import (
    comments_on,
    customers_of,
    email,
    inbound_rows,
    message_id,
    receive,
    tickets_of,
)
from tests.notifications.recipes import email_delivery_recipe
from tests.tickets.helpers import make_ticket
from tickets import services

pytestmark = pytest.mark.django_db

ANNS_REPLY = "Still on fire, see photo."


def _anns_ticket(tenant, **fields):
    return make_ticket(tenant, customer_email="ann@example.test", subject="Printer", **fields)


# --- New messages ---------------------------------------------------------------------------


def test_a_new_message_opens_an_email_ticket_for_a_new_customer(tenant):
    result = receive(tenant, email(sender="Ann Example <Ann@Example.TEST>"))

    [ticket] = tickets_of(tenant)
    assert (result.result, result.ticket) == ("created", ticket.number)
    assert (ticket.channel, ticket.status, ticket.follow_up_of) == ("email", "open", None)
    assert (ticket.subject, ticket.description) == (
        "Printer on fire",
        "The printer on floor 3 is on fire.",
    )
    assert (ticket.requester.email, ticket.requester.name) == ("ann@example.test", "Ann Example")
    [row] = inbound_rows(tenant)
    assert (row.status, row.ticket_number, row.sender, row.customer_id) == (
        InboundStatus.CREATED,
        ticket.number,
        "ann@example.test",
        ticket.requester_id,
    )


def test_a_known_customer_gets_the_new_ticket(tenant):
    earlier = _anns_ticket(tenant)

    receive(tenant, email(subject="Another thing"))

    assert [t.requester_id for t in tickets_of(tenant)] == [earlier.requester_id] * 2
    assert len(customers_of(tenant)) == 1


def test_the_text_part_is_preferred_over_the_html_one(tenant):
    receive(tenant, email(text="Plain words.", html="<p>Rich <b>words</b>.</p>"))

    assert tickets_of(tenant)[0].description == "Plain words."


def test_an_html_only_message_becomes_safe_text(tenant):
    html = (
        "<html><head><style>p {color: red}</style><script>alert('x')</script></head>"
        "<body><p>Hello&nbsp;team,</p><p>It&#39;s <b>broken</b> &amp; smoking.<br>Help!</p>"
        "<ul><li>one</li><li>two</li></ul></body></html>"
    )

    receive(tenant, email(text=None, html=html))

    assert tickets_of(tenant)[0].description == (
        "Hello\xa0team,\nIt's broken & smoking.\nHelp!\n- one\n- two"
    )


def test_a_message_without_subject_or_text_still_opens_a_ticket(tenant):
    raw = b"From: ann@example.test\r\nMessage-ID: <bare@example.test>\r\n\r\n"

    result = receive(tenant, raw)

    [ticket] = tickets_of(tenant)
    assert result.result == "created"
    assert (ticket.subject, ticket.description) == ("(no subject)", "")


def test_a_new_ticket_keeps_the_whole_text_forwarded_history_included(tenant):
    text = "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Bob\n\nThe details."

    receive(tenant, email(text=text))

    assert tickets_of(tenant)[0].description == text


def test_the_requester_hears_that_their_email_was_received_threaded_under_it(
    tenant, django_capture_on_commit_callbacks, mailoutbox
):
    original = message_id()

    with django_capture_on_commit_callbacks(execute=True):
        receive(tenant, email(msgid=original))

    [sent] = mailoutbox
    [ticket] = tickets_of(tenant)
    assert sent.to == ["ann@example.test"]
    assert sent.extra_headers["References"] == (
        f"{original} <ticket-{ticket.public_id}@tenantdesk.local>"
    )
    assert sent.extra_headers["In-Reply-To"] == f"<ticket-{ticket.public_id}@tenantdesk.local>"
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"


def test_emails_about_a_ticket_not_opened_by_email_refer_to_the_thread_only(
    tenant, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _anns_ticket(tenant)

    [sent] = mailoutbox
    assert sent.extra_headers["References"] == f"<ticket-{ticket.public_id}@tenantdesk.local>"


# --- Replies --------------------------------------------------------------------------------


def test_a_reply_naming_the_ticket_in_its_subject_is_the_requesters_comment(tenant):
    ticket = _anns_ticket(tenant)

    result = receive(tenant, email(subject=f"Re: [#{ticket.number}] Received: Printer"))

    [comment] = comments_on(tenant, ticket.number)
    assert (result.result, result.ticket) == ("replied", ticket.number)
    assert comment.author_customer_id == ticket.requester_id
    assert (comment.public, comment.body) == (True, "The printer on floor 3 is on fire.")
    assert len(tickets_of(tenant)) == 1
    [row] = inbound_rows(tenant)
    assert (row.status, row.ticket_number) == (InboundStatus.REPLIED, ticket.number)


@pytest.mark.parametrize("header", ["In-Reply-To", "References"])
def test_a_reply_to_the_tickets_thread_id_finds_it_without_a_subject_tag(tenant, header):
    ticket = _anns_ticket(tenant)
    thread = f"<ticket-{ticket.public_id}@tenantdesk.local>"
    headers = {header: thread if header == "In-Reply-To" else f"<a@b.c> {thread} <d@e.f>"}

    result = receive(tenant, email(subject="Re: your message", text=ANNS_REPLY, headers=headers))

    assert (result.result, result.ticket) == ("replied", ticket.number)
    assert [c.body for c in comments_on(tenant, ticket.number)] == [ANNS_REPLY]


def test_a_reply_to_an_email_we_sent_finds_its_ticket(tenant):
    ticket = _anns_ticket(tenant)
    with tenant_context(tenant):
        sent = email_delivery_recipe.make(
            tenant=tenant, ticket_number=ticket.number, message_id="<sent-1@tenantdesk.local>"
        )

    result = receive(tenant, email(subject="Re: hi", headers={"In-Reply-To": sent.message_id}))

    assert (result.result, result.ticket) == ("replied", ticket.number)


def test_a_reply_to_the_customers_own_first_email_finds_its_ticket(tenant):
    first = message_id()
    created = receive(tenant, email(msgid=first))

    result = receive(tenant, email(subject="Also", text=ANNS_REPLY, headers={"References": first}))

    assert (result.result, result.ticket) == ("replied", created.ticket)


def test_the_headers_win_over_the_subject(tenant):
    by_header, by_subject = _anns_ticket(tenant), _anns_ticket(tenant)
    thread = f"<ticket-{by_header.public_id}@tenantdesk.local>"

    result = receive(
        tenant, email(subject=f"Re: [#{by_subject.number}]", headers={"In-Reply-To": thread})
    )

    assert result.ticket == by_header.number


def test_the_quoted_history_of_a_reply_is_cut_off(tenant):
    ticket = _anns_ticket(tenant)
    text = (
        f"{ANNS_REPLY}\n\nOn Tue, 4 Mar 2025 at 10:00, Alpha Co <support+alpha@tenantdesk.local>"
        " wrote:\n> We are looking into it.\n> Regards"
    )

    receive(tenant, email(subject=f"Re: [#{ticket.number}]", text=text))

    assert [c.body for c in comments_on(tenant, ticket.number)] == [ANNS_REPLY]


def test_a_reply_with_nothing_but_quotes_keeps_them(tenant):
    ticket = _anns_ticket(tenant)
    text = "> We are looking into it.\n> Regards"

    receive(tenant, email(subject=f"Re: [#{ticket.number}]", text=text))

    assert [c.body for c in comments_on(tenant, ticket.number)] == [text]


def test_an_empty_reply_says_so(tenant):
    ticket = _anns_ticket(tenant)

    receive(tenant, email(subject=f"Re: [#{ticket.number}]", text=" \n "))

    assert [c.body for c in comments_on(tenant, ticket.number)] == ["(This email had no text.)"]


def test_the_assignee_hears_of_the_customers_email_reply(tenant, member):
    agent = member("agent")
    ticket = _anns_ticket(tenant, assignee=agent.user)

    receive(tenant, email(subject=f"Re: [#{ticket.number}]"))

    assert [row.kind for row in deliveries(tenant, recipient=agent.user.email)] == [
        "assigned_to_you",
        "customer_replied",
    ]


# --- Someone else names a ticket ------------------------------------------------------------


def test_a_reply_from_someone_other_than_the_requester_opens_their_own_ticket(tenant):
    anns = _anns_ticket(tenant)
    thread = f"<ticket-{anns.public_id}@tenantdesk.local>"

    result = receive(
        tenant,
        email(
            sender="Mallory <mallory@example.test>",
            subject=f"Re: [#{anns.number}] Printer",
            text="Please send me the invoice.",
            headers={"In-Reply-To": thread},
        ),
    )

    assert comments_on(tenant, anns.number) == []
    mallorys = tickets_of(tenant)[-1]
    assert (result.result, result.ticket, result.reason) == (
        "created",
        mallorys.number,
        "not_the_requester",
    )
    assert mallorys.requester.email == "mallory@example.test"
    assert mallorys.follow_up_of is None


def test_a_subject_naming_a_ticket_that_does_not_exist_opens_a_new_one(tenant):
    result = receive(tenant, email(subject="Re: [#4711] old thing"))

    assert (result.result, result.reason) == ("created", "")
    assert [t.subject for t in tickets_of(tenant)] == ["Re: [#4711] old thing"]


# --- Closed tickets, merged tickets ---------------------------------------------------------


def test_a_reply_to_a_closed_ticket_opens_a_follow_up_linked_to_it(tenant):
    closed = _anns_ticket(tenant, status="closed")
    text = f"{ANNS_REPLY}\n\nOn Mon, Alpha Co wrote:\n> Closing this."

    result = receive(tenant, email(subject=f"Re: [#{closed.number}] Resolved", text=text))

    follow_up = tickets_of(tenant)[-1]
    assert (result.result, result.ticket, result.follow_up_of) == (
        "created",
        follow_up.number,
        closed.number,
    )
    assert follow_up.follow_up_of == closed.number
    assert follow_up.requester_id == closed.requester_id
    assert (follow_up.channel, follow_up.description) == ("email", ANNS_REPLY)
    assert comments_on(tenant, closed.number) == []


def test_the_follow_up_is_on_the_ticket_representation(tenant, member, api_client):
    closed = _anns_ticket(tenant, status="closed")
    result = receive(tenant, email(subject=f"Re: [#{closed.number}]"))
    client = api_client(member("viewer"))

    follow_up = client.get(f"/api/v1/t/{tenant.slug}/tickets/{result.ticket}/").json()
    original = client.get(f"/api/v1/t/{tenant.slug}/tickets/{closed.number}/").json()

    assert (follow_up["follow_up_of"], original["follow_up_of"]) == (closed.number, None)


def test_a_resolved_ticket_takes_the_reply(tenant):
    resolved = _anns_ticket(tenant, status="resolved")

    result = receive(tenant, email(subject=f"Re: [#{resolved.number}]"))

    assert (result.result, result.ticket) == ("replied", resolved.number)


def test_a_reply_to_a_merged_ticket_lands_in_the_ticket_it_was_merged_into(tenant):
    source, target = _anns_ticket(tenant), _anns_ticket(tenant)
    with tenant_context(tenant):
        services.ticket_merge(tenant=tenant, actor=Actor(), ticket=source, into=target)

    result = receive(tenant, email(subject=f"Re: [#{source.number}]", text=ANNS_REPLY))

    assert (result.result, result.ticket) == ("replied", target.number)
    assert [c.body for c in comments_on(tenant, target.number)] == [ANNS_REPLY]


# --- Duplicates -----------------------------------------------------------------------------


def test_the_same_message_id_twice_is_filed_once(tenant):
    raw = email(msgid="<same@mail.example.test>")

    first, second = receive(tenant, raw), receive(tenant, raw)

    assert first.result == "created"
    assert (second.result, second.ticket) == ("duplicate", first.ticket)
    assert len(tickets_of(tenant)) == 1
    assert len(inbound_rows(tenant)) == 1


def test_a_redelivered_reply_is_one_comment(tenant):
    ticket = _anns_ticket(tenant)
    raw = email(subject=f"Re: [#{ticket.number}]", msgid="<reply@mail.example.test>")

    results = [receive(tenant, raw).result for _ in range(3)]

    assert results == ["replied", "duplicate", "duplicate"]
    assert len(comments_on(tenant, ticket.number)) == 1


def test_a_message_without_message_id_is_recognised_by_its_bytes(tenant):
    raw = b"From: ann@example.test\r\nSubject: no id\r\n\r\nHello\r\n"

    first, again = receive(tenant, raw), receive(tenant, raw)
    other = receive(tenant, raw + b"P.S.\r\n")

    assert (first.result, again.result, other.result) == ("created", "duplicate", "created")
    assert inbound_rows(tenant)[0].message_id.endswith("@inbound.invalid>")


def test_the_same_message_id_in_two_tenants_is_filed_in_each(tenant, other_tenant):
    raw = email(msgid="<to-both@mail.example.test>")

    here, there = receive(tenant, raw), receive(other_tenant, raw)

    assert (here.result, there.result) == ("created", "created")


# --- Erased customers -----------------------------------------------------------------------


def test_an_erased_customers_address_creates_a_new_customer(tenant):
    old = _anns_ticket(tenant)
    with tenant_context(tenant):
        services.customer_erase(tenant=tenant, actor=Actor(), customer=old.requester)

    result = receive(tenant, email(subject=f"Re: [#{old.number}] Printer"))

    new = tickets_of(tenant)[-1]
    assert (result.result, result.ticket, result.reason) == (
        "created",
        new.number,
        "not_the_requester",
    )
    assert new.requester_id != old.requester_id
    assert new.requester.email == "ann@example.test"
    erased = [c for c in customers_of(tenant) if c.pk == old.requester_id]
    assert erased[0].erased_at is not None and erased[0].email != "ann@example.test"
    assert comments_on(tenant, old.number) == []


def test_erasing_a_customer_scrubs_their_address_from_the_inbound_log(tenant):
    created = receive(tenant, email())
    [ticket] = tickets_of(tenant)
    receive(tenant, email(sender="bob@example.test"))

    with tenant_context(tenant):
        services.customer_erase(tenant=tenant, actor=Actor(), customer=ticket.requester)

    rows = inbound_rows(tenant)
    assert [(r.ticket_number, r.sender) for r in rows] == [
        (created.ticket, ""),
        (created.ticket + 1, "bob@example.test"),
    ]
