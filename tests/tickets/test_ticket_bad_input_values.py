"""Hostile and sloppy values on every writable ticket and customer endpoint: over-long
strings, enums, unknown fields, tags, metadata, NUL characters, lone surrogates. A 400
naming the field, nothing written, never a 500."""

import pytest

from tests.errors import field_errors
from tests.tickets.bad_input_helpers import (
    ENDPOINTS,
    UUID,
    assert_rejected,
    bad_input_world,  # noqa: F401 (registers the `world` fixture here)
    cases,
    each_endpoint,
    send,
    snapshot,
    with_valid,
)

HUGE = "x" * 60_000


LONG_EMAIL = "a" * 288 + "@example.test"  # 301 characters


# --- Over-long strings ----------------------------------------------------------------------------


OVER_LONG = {
    "ticket-create": [
        ("subject-256", "subject", "s" * 256),
        ("description-20001", "description", "d" * 20_001),
        ("category-65", "category", "c" * 65),
        ("customer_email-301", "customer_email", LONG_EMAIL),
        ("customer_name-201", "customer_name", "n" * 201),
        ("external_id-101", "external_id", "e" * 101),
        ("tag-51", "tags", ["t" * 51]),
    ],
    "ticket-patch": [
        ("subject-256", "subject", "s" * 256),
        ("description-huge", "description", HUGE),
        ("category-65", "category", "c" * 65),
        ("external_id-101", "external_id", "e" * 101),
        ("tag-51", "tags", ["t" * 51]),
        ("status-huge", "status", HUGE),
        ("assignee-huge", "assignee", HUGE),
    ],
    "customer-create": [
        ("email-301", "email", LONG_EMAIL),
        ("name-201", "name", "n" * 201),
        ("company-201", "company", "c" * 201),
        ("phone-51", "phone", "5" * 51),
        ("crm_id-101", "crm_id", "c" * 101),
        ("tier-huge", "tier", HUGE),
    ],
    "customer-patch": [
        ("email-301", "email", LONG_EMAIL),
        ("name-201", "name", "n" * 201),
        ("company-201", "company", "c" * 201),
        ("phone-51", "phone", "5" * 51),
        ("crm_id-101", "crm_id", "c" * 101),
    ],
    "comment-create": [("body-50001", "body", "b" * 50_001)],
    "assign": [("assignee-huge", "assignee", HUGE)],
}


@pytest.mark.parametrize(("name", "field", "value"), cases(OVER_LONG))
def test_over_long_string_is_400_naming_the_field(world, name, field, value):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, {field: value}))

    assert_rejected(world, response, before, field)


def test_over_long_strategy_is_400(world):
    before = snapshot(world)

    response = send(world, "assign", {"strategy": "s" * 33})

    assert_rejected(world, response, before, "strategy")


def test_every_endpoint_has_over_long_cases():
    assert set(OVER_LONG) == set(ENDPOINTS)


# --- Enums ----------------------------------------------------------------------------------------


BAD_ENUMS = [
    ("ticket-create", "priority", "urgent"),
    ("ticket-create", "priority", "HIGH"),
    ("ticket-create", "channel", "fax"),
    ("ticket-patch", "status", "stuck"),
    ("ticket-patch", "status", "Open"),
    ("ticket-patch", "status", "open "),
    ("ticket-patch", "priority", ""),
    ("ticket-patch", "channel", "sms"),
    ("customer-create", "tier", "gold"),
    ("customer-patch", "tier", "FREE"),
]


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [pytest.param(n, f, v, id=f"{n}-{f}-{v!r}") for n, f, v in BAD_ENUMS],
)
def test_value_outside_the_enum_is_400(world, name, field, value):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, {field: value}))

    assert_rejected(world, response, before, field)


# --- Unknown fields (typos, mass assignment, read-only output fields) -----------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("tenant", 2, id="tenant"),
        pytest.param("id", UUID, id="id"),
        pytest.param("number", 1, id="number"),
        pytest.param("version", 9, id="version"),
        pytest.param("created_at", "2020-01-01T00:00:00Z", id="created_at"),
        pytest.param("is_urgent", True, id="is_urgent"),
        pytest.param("Subject", "case-typo", id="case-typo"),
    ],
)
@pytest.mark.parametrize("name", each_endpoint())
def test_unknown_field_is_400(world, name, field, value):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, {field: value}))

    assert_rejected(world, response, before, field)
    assert field_errors(response)[field] == ["Unknown field."]


@pytest.mark.parametrize(
    ("name", "field"),
    [
        pytest.param("ticket-patch", "requester", id="ticket-patch-requester"),
        pytest.param("ticket-patch", "customer_email", id="ticket-patch-customer_email"),
        pytest.param("ticket-patch", "escalated", id="ticket-patch-escalated"),
        pytest.param("ticket-patch", "first_response_at", id="ticket-patch-first_response_at"),
        pytest.param("ticket-create", "status", id="ticket-create-status"),
        pytest.param("ticket-create", "sla", id="ticket-create-sla"),
        pytest.param("customer-patch", "erased", id="customer-patch-erased"),
        pytest.param("comment-create", "author_user", id="comment-create-author_user"),
        pytest.param("comment-create", "author_customer", id="comment-create-author_customer"),
    ],
)
def test_fields_that_are_not_writable_here_are_unknown(world, name, field):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, {field: UUID}))

    assert_rejected(world, response, before, field)
    assert field_errors(response)[field] == ["Unknown field."]


# --- Tags -----------------------------------------------------------------------------------------


BAD_TAGS = [
    ("string", "billing,vip"),
    ("object", {"billing": True}),
    ("number", 5),
    ("too-many", [f"t{i}" for i in range(21)]),
    ("space-inside", ["two words"]),
    ("uppercase-unicode", ["ÜBER"]),
    ("markup", ["<script>"]),
    ("blank", [""]),
    ("leading-dash", ["-x"]),
    ("item-null", [None]),
    ("item-list", [["a"]]),
    ("item-object", [{"a": 1}]),
]


@pytest.mark.parametrize("name", ["ticket-create", "ticket-patch"])
@pytest.mark.parametrize(("value",), [pytest.param(v, id=i) for i, v in BAD_TAGS])
def test_bad_tags_are_400(world, name, value):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, {"tags": value}))

    assert_rejected(world, response, before, "tags")


def test_twenty_tags_are_fine(world):
    tags = [f"t{i}" for i in range(20)]

    response = send(world, "ticket-patch", {"tags": tags})

    assert response.status_code == 200, response.content
    assert response.json()["tags"] == tags


# --- Metadata -------------------------------------------------------------------------------------


BAD_METADATA = [
    ("string", "x"),
    ("json-in-a-string", '{"a": 1}'),
    ("list", [1, 2]),
    ("number", 5),
    ("bool", True),
    ("too-big", {"blob": "x" * 17_000}),
    ("too-big-by-nesting", {f"k{i}": {"v": "x" * 100} for i in range(200)}),
    ("eleven-levels-deep", {"a": [[[[[[[[[[]]]]]]]]]]}),
    (
        "objects-eleven-deep",
        {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {}}}}}}}}}}},
    ),
]


METADATA_ENDPOINTS = ["ticket-create", "ticket-patch", "customer-create", "customer-patch"]


@pytest.mark.parametrize("name", METADATA_ENDPOINTS)
def test_metadata_ten_levels_deep_is_fine(world, name):
    value = {"a": [[[[[[[[["deep"]]]]]]]]]}

    response = send(world, name, with_valid(world, name, {"metadata": value}))

    assert response.status_code == ENDPOINTS[name].success, response.content
    assert response.json()["metadata"] == value


@pytest.mark.parametrize("name", METADATA_ENDPOINTS)
@pytest.mark.parametrize(("value",), [pytest.param(v, id=i) for i, v in BAD_METADATA])
def test_bad_metadata_is_400(world, name, value):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, {"metadata": value}))

    assert_rejected(world, response, before, "metadata")


# --- NUL characters (PostgreSQL text and jsonb cannot hold them) ----------------------------------


NUL_CASES = [
    ("ticket-create", "subject", "a\x00b"),
    ("ticket-create", "customer_email", "a\x00@example.test"),
    ("ticket-create", "external_id", "EXT\x00"),
    ("ticket-create", "metadata", {"note": "a\x00b"}),
    ("ticket-create", "metadata", {"a\x00b": 1}),
    ("ticket-patch", "description", "\x00"),
    ("ticket-patch", "metadata", {"deep": [{"x": "\x00"}]}),
    ("ticket-patch", "tags", ["a\x00"]),
    ("customer-create", "name", "A\x00"),
    ("customer-create", "metadata", {"note": "\x00"}),
    ("customer-patch", "phone", "555\x00"),
    ("customer-patch", "metadata", {"\x00": "key"}),
    ("comment-create", "body", "Hi\x00"),
]


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [pytest.param(n, f, v, id=f"{n}-{f}-{i}") for i, (n, f, v) in enumerate(NUL_CASES)],
)
def test_nul_character_is_400(world, name, field, value):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, {field: value}))

    assert_rejected(world, response, before, field)


# --- Lone UTF-16 surrogates (rejected by the JSON parser, before any field sees them) -------------


@pytest.mark.parametrize(
    ("position", "make"),
    [
        ("value", lambda valid, first: {**valid, first: "\ud800"}),
        ("key", lambda valid, first: {**valid, "\udc00": 1}),
        ("metadata", lambda valid, first: {**valid, "metadata": {"k": ["\ud834"]}}),
    ],
    ids=["value", "key", "metadata"],
)
@pytest.mark.parametrize("name", each_endpoint())
def test_lone_surrogate_is_a_parse_error_and_writes_nothing(world, name, position, make):
    valid = ENDPOINTS[name].valid(world)
    before = snapshot(world)

    response = send(world, name, make(valid, next(iter(valid))))

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"
    assert snapshot(world) == before
