"""Services called without a serializer (inbound email, help center, CRM sync, admin) refuse bad
input themselves, naming the field, before anything is written (STYLE.md §12)."""

from types import SimpleNamespace
from uuid import UUID

import pytest
from django.core.exceptions import ValidationError

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.recipes import customer_recipe, ticket_recipe
from tickets import services
from tickets.exceptions import TicketClosedError
from tickets.models import Comment, Customer, Ticket, TicketEvent

NESTED_11 = {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {}}}}}}}}}}}


def too_long(n: int) -> str:
    return f"Ensure this field has no more than {n} characters."


def choice(value) -> str:
    return f'"{value}" is not a valid choice.'


# (field, bad value, message): the rules ticket_create and ticket_update share.
TICKET_FIELDS_BAD = [
    ("description", "x" * 20_001, too_long(20_000)),
    ("description", "a\x00b", "Null characters are not allowed."),
    ("description", "\ud800", "Surrogate characters are not allowed: U+D800."),
    ("description", 42, "Not a valid string."),
    ("priority", "urgent", choice("urgent")),
    ("priority", None, choice(None)),
    ("channel", "fax", choice("fax")),
    ("category", "x" * 65, too_long(64)),
    ("external_id", "x" * 101, too_long(100)),
    ("external_id", "", "This field may not be blank."),
    ("tags", "billing", 'Expected a list of items but got type "str".'),
    ("tags", [f"t{i}" for i in range(21)], "Ensure this field has no more than 20 elements."),
    ("tags", [1], "Not a valid string."),
    ("tags", [""], "This field may not be blank."),
    ("tags", ["x" * 51], too_long(50)),
    ("tags", ["a\x00"], "Null characters are not allowed."),
    ("tags", ["bad tag"], "Tags are lowercase letters, digits, '-' and '_' (bad: bad tag)."),
    ("metadata", [], "Must be a JSON object."),
    ("metadata", "{}", "Must be a JSON object."),
    ("metadata", {1: "one"}, "Object keys must be strings."),
    ("metadata", {"a": {2: "two"}}, "Object keys must be strings."),
    ("metadata", {"a": "\x00"}, "Must not contain NUL characters."),
    ("metadata", {"a": float("nan")}, "Value must be valid JSON."),
    ("metadata", {"a": {1, 2}}, "Value must be valid JSON."),
    ("metadata", {"a": "\udc00"}, "Value must be valid JSON."),
    ("metadata", {"a": "x" * 16_400}, "Must be at most 16384 bytes."),
    ("metadata", NESTED_11, "Must nest at most 10 levels deep."),
    ("public_id", "abc", "Unknown field."),
    ("number", 7, "Unknown field."),
    ("escalated", True, "Unknown field."),
]
SUBJECT_BAD = [
    ("subject", "x" * 256, too_long(255)),
    ("subject", "", "This field may not be blank."),
    ("subject", "   ", "This field may not be blank."),
    ("subject", None, "This field may not be null."),
    ("subject", b"bytes", "Not a valid string."),
]
UPDATE_ONLY_BAD = [
    ("status", "done", choice("done")),
    ("assignee", "someone@example.test", "Must be a user or None."),
]


def ids(table):
    return [pytest.param(f, v, m, id=f"{f}-{i}") for i, (f, v, m) in enumerate(table)]


@pytest.fixture
def world(tenant, member):
    agent = member(Role.AGENT)
    with tenant_context(tenant):
        customer = customer_recipe.make(tenant=tenant)
        ticket = ticket_recipe.make(tenant=tenant, requester=customer)
        yield SimpleNamespace(
            tenant=tenant,
            actor=Actor(user=agent.user, role=Role.AGENT),
            agent=agent.user,
            customer=customer,
            ticket=ticket,
        )


def snapshot(world) -> dict:
    world.ticket.refresh_from_db()
    world.customer.refresh_from_db()
    return {
        "customers": Customer.objects.count(),
        "tickets": Ticket.objects.count(),
        "comments": Comment.objects.count(),
        "events": TicketEvent.objects.count(),
        "ticket": (world.ticket.version, world.ticket.subject, world.ticket.tags),
        "customer": (world.customer.version, world.customer.email, world.customer.name),
    }


def assert_refused(world, call, field: str, message: str) -> None:
    before = snapshot(world)

    with pytest.raises(ValidationError) as caught:
        call()

    assert caught.value.message_dict == {field: [message]}
    assert snapshot(world) == before


# --- ticket_create ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    ids([*TICKET_FIELDS_BAD, *SUBJECT_BAD, ("status", "open", "Unknown field.")]),
)
def test_ticket_create_refuses_bad_input_and_writes_nothing(world, field, value, message):
    fields = {"subject": "Printer on fire", field: value}

    assert_refused(
        world,
        lambda: services.ticket_create(
            tenant=world.tenant, actor=world.actor, requester=world.customer, **fields
        ),
        field,
        message,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    ids(
        [
            ("customer_email", "not an email", "Enter a valid email address."),
            ("customer_email", "a\x00@example.test", "Null characters are not allowed."),
            ("customer_email", "x" * 250 + "@e.io", too_long(254)),
            ("customer_name", "x" * 201, too_long(200)),
        ]
    ),
)
def test_ticket_create_refuses_a_bad_new_customer_and_writes_nothing(world, field, value, message):
    fields = {"customer_email": "new@example.test", field: value}

    assert_refused(
        world,
        lambda: services.ticket_create(
            tenant=world.tenant, actor=world.actor, subject="Hello", **fields
        ),
        field,
        message,
    )


def test_ticket_create_takes_the_requesters_id_and_locks_that_customer(world):
    ticket = services.ticket_create(
        tenant=world.tenant, actor=world.actor, subject="By id", requester=world.customer.public_id
    )

    assert ticket.requester == world.customer
    assert Ticket.objects.get(pk=ticket.pk).requester_id == world.customer.pk


@pytest.mark.parametrize(
    ("requester", "message"),
    [
        (UUID("6f1c1d3e-8a6e-4c1b-9d9e-2b7f0c4a5e61"), None),
        ("6f1c1d3e-8a6e-4c1b-9d9e-2b7f0c4a5e61", "Must be a customer or a customer's id."),
        (7, "Must be a customer or a customer's id."),
    ],
    ids=["unknown-id", "id-as-text", "int"],
)
def test_ticket_create_refuses_a_requester_that_names_no_customer(world, requester, message):
    # Refused before any write, so the caller's transaction goes on (assert_refused reads on).
    assert_refused(
        world,
        lambda: services.ticket_create(
            tenant=world.tenant, actor=world.actor, subject="Hi", requester=requester
        ),
        "requester",
        message or f"Object with public_id={requester} does not exist.",
    )


def test_ticket_create_names_every_bad_field_at_once(world):
    with pytest.raises(ValidationError) as caught:
        services.ticket_create(
            tenant=world.tenant,
            actor=world.actor,
            requester=world.customer,
            subject="",
            priority="urgent",
            colour="red",
        )

    assert set(caught.value.message_dict) == {"subject", "priority", "colour"}


def test_ticket_create_stores_valid_input_normalised_like_the_api(world):
    ticket = services.ticket_create(
        tenant=world.tenant,
        actor=world.actor,
        subject="Printer on fire",
        customer_email="  Ann@Example.TEST ",
        tags=[" Billing ", "billing", "vip"],
        metadata={"crm": {"id": 7}},
        priority="high",
    )

    ticket.refresh_from_db()
    assert ticket.requester.email == "ann@example.test"
    assert ticket.tags == ["billing", "vip"]
    assert ticket.metadata == {"crm": {"id": 7}}
    assert ticket.priority == "high"


# --- ticket_update ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"), ids([*TICKET_FIELDS_BAD, *SUBJECT_BAD, *UPDATE_ONLY_BAD])
)
def test_ticket_update_refuses_bad_input_and_writes_nothing(world, field, value, message):
    assert_refused(
        world,
        lambda: services.ticket_update(
            tenant=world.tenant, actor=world.actor, ticket=world.ticket, **{field: value}
        ),
        field,
        message,
    )


def test_ticket_update_stores_valid_tags_normalised(world):
    ticket = services.ticket_update(
        tenant=world.tenant, actor=world.actor, ticket=world.ticket, tags=["VIP", " urgent-1 "]
    )

    ticket.refresh_from_db()
    assert ticket.tags == ["vip", "urgent-1"]
    assert ticket.version == 2


def test_a_closed_ticket_says_the_message_of_its_error_class(world):
    services.ticket_update(
        tenant=world.tenant, actor=world.actor, ticket=world.ticket, status="closed"
    )

    with pytest.raises(TicketClosedError) as caught:
        services.ticket_update(
            tenant=world.tenant, actor=world.actor, ticket=world.ticket, subject="Again"
        )

    assert caught.value.detail == "A closed ticket cannot change; open a follow-up ticket."
    assert caught.value.extra == {}


# --- comment_create ---------------------------------------------------------------------------

COMMENT_BAD = [
    ("body", "", "This field may not be blank."),
    ("body", "  \n ", "This field may not be blank."),
    ("body", "x" * 50_001, too_long(50_000)),
    ("body", "a\x00b", "Null characters are not allowed."),
    ("body", "\udfff", "Surrogate characters are not allowed: U+DFFF."),
    ("body", 5, "Not a valid string."),
    ("public", "yes", "Must be a valid boolean."),
    ("public", 1, "Must be a valid boolean."),
    ("public", None, "Must be a valid boolean."),
    ("author_customer", "someone@example.test", "Must be a customer or None."),
]


@pytest.mark.parametrize(("field", "value", "message"), ids(COMMENT_BAD))
def test_comment_create_refuses_bad_input_and_writes_nothing(world, field, value, message):
    fields = {"body": "Thanks!", field: value}

    assert_refused(
        world,
        lambda: services.comment_create(
            tenant=world.tenant, actor=world.actor, ticket=world.ticket, **fields
        ),
        field,
        message,
    )


def test_comment_create_stores_a_valid_internal_note(world):
    comment = services.comment_create(
        tenant=world.tenant, actor=world.actor, ticket=world.ticket, body="Note", public=False
    )

    assert (comment.body, comment.public) == ("Note", False)


# --- ticket_bulk_update -----------------------------------------------------------------------

BULK_NUMBERS_BAD = [
    ("1000", "Give a list of ticket numbers (positive integers)."),
    ([True], "Give a list of ticket numbers (positive integers)."),
    ([0], "Give a list of ticket numbers (positive integers)."),
    (["1000"], "Give a list of ticket numbers (positive integers)."),
]
BULK_CHANGES_BAD = [
    ("priority", "urgent", choice("urgent")),
    ("status", "done", "Unknown status."),
    ("assignee", 3, "Must be a user or None."),
    ("tags_add", "vip", 'Expected a list of items but got type "str".'),
    ("tags_add", ["Bad Tag"], "Tags are lowercase letters, digits, '-' and '_' (bad: bad tag)."),
    ("tags_remove", [None], "This field may not be null."),
    ("subject", "New", "Unknown field."),
]


@pytest.mark.parametrize(("numbers", "message"), BULK_NUMBERS_BAD)
def test_ticket_bulk_update_refuses_bad_numbers_and_writes_nothing(world, numbers, message):
    assert_refused(
        world,
        lambda: services.ticket_bulk_update(
            tenant=world.tenant, actor=world.actor, numbers=numbers, changes={"priority": "low"}
        ),
        "numbers",
        message,
    )


def test_ticket_bulk_update_refuses_changes_that_are_not_a_mapping(world):
    assert_refused(
        world,
        lambda: services.ticket_bulk_update(
            tenant=world.tenant, actor=world.actor, numbers=[world.ticket.number], changes=["x"]
        ),
        "changes",
        "Must be a mapping of field names to values.",
    )


@pytest.mark.parametrize(("field", "value", "message"), ids(BULK_CHANGES_BAD))
def test_ticket_bulk_update_refuses_bad_changes_and_writes_nothing(world, field, value, message):
    changes = {"priority": "low", field: value}

    assert_refused(
        world,
        lambda: services.ticket_bulk_update(
            tenant=world.tenant, actor=world.actor, numbers=[world.ticket.number], changes=changes
        ),
        field,
        message,
    )


def test_ticket_bulk_update_stores_normalised_tags(world):
    services.ticket_bulk_update(
        tenant=world.tenant,
        actor=world.actor,
        numbers=[world.ticket.number],
        changes={"tags_add": [" VIP "], "priority": "low"},
    )

    world.ticket.refresh_from_db()
    assert world.ticket.tags == ["vip"]
    assert world.ticket.priority == "low"


# --- customer_create / customer_update --------------------------------------------------------

CUSTOMER_BAD = [
    ("email", "not-an-email", "Enter a valid email address."),
    ("email", "ann smith@example.test", "Enter a valid email address."),
    ("email", "x" * 250 + "@e.io", too_long(254)),
    ("email", "a\x00@example.test", "Null characters are not allowed."),
    ("email", None, "Enter a valid email address."),
    ("name", "x" * 201, too_long(200)),
    ("name", "\ud800", "Surrogate characters are not allowed: U+D800."),
    ("tier", "gold", choice("gold")),
    ("company", "x" * 201, too_long(200)),
    ("phone", "x" * 51, too_long(50)),
    ("phone", 5551234, "Not a valid string."),
    ("crm_id", "x" * 101, too_long(100)),
    ("metadata", ["a"], "Must be a JSON object."),
    ("metadata", {3: "a"}, "Object keys must be strings."),
    ("erased_at", None, "Unknown field."),
    ("public_id", "abc", "Unknown field."),
]


@pytest.mark.parametrize(("field", "value", "message"), ids(CUSTOMER_BAD))
def test_customer_create_refuses_bad_input_and_writes_nothing(world, field, value, message):
    fields = {"email": "new@example.test", field: value}

    assert_refused(
        world,
        lambda: services.customer_create(tenant=world.tenant, actor=world.actor, **fields),
        field,
        message,
    )


@pytest.mark.parametrize(("field", "value", "message"), ids(CUSTOMER_BAD))
def test_customer_update_refuses_bad_input_and_writes_nothing(world, field, value, message):
    assert_refused(
        world,
        lambda: services.customer_update(
            tenant=world.tenant, actor=world.actor, customer=world.customer, **{field: value}
        ),
        field,
        message,
    )


def test_customer_create_stores_the_email_stripped_and_lowercased(world):
    customer = services.customer_create(
        tenant=world.tenant, actor=world.actor, email="  Ann@Example.TEST ", tier="premium"
    )

    customer.refresh_from_db()
    assert (customer.email, customer.tier) == ("ann@example.test", "premium")


def test_customer_update_stores_the_email_stripped_and_lowercased(world):
    customer = services.customer_update(
        tenant=world.tenant, actor=world.actor, customer=world.customer, email=" Bo@EXAMPLE.test"
    )

    customer.refresh_from_db()
    assert (customer.email, customer.version) == ("bo@example.test", 2)
