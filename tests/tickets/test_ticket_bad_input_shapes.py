"""Hostile and sloppy bodies on every writable ticket and customer endpoint, by shape: the
valid control, bodies that are not a JSON object, wrong types. A 400 naming the field,
nothing written, never a 500."""

import pytest

from tests.tickets.bad_input_helpers import (
    ENDPOINTS,
    UUID,
    assert_rejected,
    bad_input_world,  # noqa: F401 (registers the `world` fixture here)
    cases,
    each_endpoint,
    send,
    send_raw,
    snapshot,
    with_valid,
)

# --- The control: a valid body works and changes something ----------------------------------------


@pytest.mark.parametrize("name", each_endpoint())
def test_valid_body_is_accepted_and_writes(world, name):
    before = snapshot(world)

    response = send(world, name, ENDPOINTS[name].valid(world))

    assert response.status_code == ENDPOINTS[name].success, response.content
    assert snapshot(world) != before


# --- Not a JSON object ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"subject": ', id="truncated"),
        pytest.param("{'subject': 'x'}", id="single-quotes"),
        pytest.param('{"subject": "x",}', id="trailing-comma"),
        pytest.param('{"subject": NaN}', id="nan"),
        pytest.param(b'{"subject": "\xff\xfe"}', id="invalid-utf8"),
        pytest.param("", id="empty"),
    ],
)
@pytest.mark.parametrize("name", each_endpoint())
def test_malformed_json_is_400(world, name, body):
    before = snapshot(world)

    response = send_raw(world, name, body)

    # An empty body parses as no data: for a PATCH that is a valid no-op, so leave it out.
    expected = 200 if body == "" and ENDPOINTS[name].method == "PATCH" else 400
    assert response.status_code == expected, response.content
    assert snapshot(world) == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([], id="empty-array"),
        pytest.param([{"subject": "x", "customer_email": "a@example.test"}], id="array-of-object"),
        pytest.param("just a string", id="string"),
        pytest.param(5, id="number"),
        pytest.param(None, id="null"),
    ],
)
@pytest.mark.parametrize("name", each_endpoint())
def test_non_object_body_is_400(world, name, body):
    before = snapshot(world)

    response = send(world, name, body)

    assert_rejected(world, response, before, "non_field_errors")


@pytest.mark.parametrize("name", each_endpoint())
def test_form_encoded_body_is_415(world, name):
    before = snapshot(world)

    response = send_raw(world, name, "subject=x", content_type="text/plain")

    assert response.status_code == 415
    assert snapshot(world) == before


# --- Wrong types ----------------------------------------------------------------------------------


WRONG_TYPES = {
    "ticket-create": [
        ("subject-list", "subject", ["Hi"]),
        ("subject-object", "subject", {"text": "Hi"}),
        ("subject-bool", "subject", True),
        ("subject-null", "subject", None),
        ("subject-blank", "subject", "  "),
        ("description-list", "description", []),
        ("description-null", "description", None),
        ("priority-int", "priority", 5),
        ("priority-list", "priority", ["high"]),
        ("priority-null", "priority", None),
        ("category-list", "category", ["a"]),
        ("category-bool", "category", False),
        ("channel-int", "channel", 1),
        ("channel-null", "channel", None),
        ("requester-int", "requester", 5),
        ("requester-list", "requester", [UUID]),
        ("requester-object", "requester", {"id": UUID}),
        ("customer_email-int", "customer_email", 5),
        ("customer_email-list", "customer_email", ["a@example.test"]),
        ("customer_email-not-an-email", "customer_email", "not-an-email"),
        ("customer_name-list", "customer_name", []),
        ("assignee-int", "assignee", 5),
        ("assignee-list", "assignee", [UUID]),
        ("assignee-object", "assignee", {"id": UUID}),
        ("assignee-bool", "assignee", True),
        ("tags-null", "tags", None),
        ("metadata-null", "metadata", None),
        ("external_id-list", "external_id", ["EXT"]),
        ("external_id-object", "external_id", {}),
        ("external_id-bool", "external_id", True),
        ("external_id-blank", "external_id", ""),
    ],
    "ticket-patch": [
        ("subject-list", "subject", []),
        ("subject-null", "subject", None),
        ("subject-blank", "subject", ""),
        ("description-object", "description", {}),
        ("status-int", "status", 3),
        ("status-list", "status", ["open"]),
        ("status-null", "status", None),
        ("priority-bool", "priority", True),
        ("category-object", "category", {}),
        ("category-null", "category", None),
        ("channel-list", "channel", ["api"]),
        ("assignee-int", "assignee", 7),
        ("assignee-object", "assignee", {}),
        ("tags-null", "tags", None),
        ("metadata-null", "metadata", None),
        ("external_id-list", "external_id", []),
        ("external_id-blank", "external_id", ""),
    ],
    "customer-create": [
        ("email-int", "email", 5),
        ("email-null", "email", None),
        ("email-list", "email", ["a@example.test"]),
        ("email-not-an-email", "email", "nobody"),
        ("name-list", "name", []),
        ("name-object", "name", {"first": "A"}),
        ("tier-int", "tier", 1),
        ("tier-null", "tier", None),
        ("company-bool", "company", True),
        ("phone-list", "phone", ["555"]),
        ("crm_id-object", "crm_id", {}),
        ("metadata-null", "metadata", None),
    ],
    "customer-patch": [
        ("email-int", "email", 5),
        ("email-null", "email", None),
        ("email-blank", "email", ""),
        ("name-null", "name", None),
        ("tier-list", "tier", ["free"]),
        ("company-list", "company", []),
        ("phone-object", "phone", {}),
        ("crm_id-bool", "crm_id", False),
        ("metadata-null", "metadata", None),
    ],
    "comment-create": [
        ("body-list", "body", ["Hi"]),
        ("body-object", "body", {}),
        ("body-null", "body", None),
        ("body-blank", "body", "   "),
        ("public-maybe", "public", "maybe"),
        ("public-list", "public", []),
        ("public-null", "public", None),
        ("public-object", "public", {}),
    ],
    "assign": [
        ("assignee-int", "assignee", 5),
        ("assignee-list", "assignee", [UUID]),
        ("assignee-object", "assignee", {"id": UUID}),
        ("assignee-bool", "assignee", False),
        ("assignee-unknown", "assignee", UUID),
    ],
}


@pytest.mark.parametrize(("name", "field", "value"), cases(WRONG_TYPES))
def test_wrong_type_is_400_naming_the_field(world, name, field, value):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, {field: value}))

    assert_rejected(world, response, before, field)


@pytest.mark.parametrize(
    ("value", "field"),
    [
        pytest.param(["manual"], "strategy", id="list"),
        pytest.param({}, "strategy", id="object"),
        pytest.param(None, "strategy", id="null"),
        pytest.param(True, "strategy", id="bool"),
        pytest.param("", "strategy", id="blank"),
    ],
)
def test_assign_strategy_of_the_wrong_type_is_400(world, value, field):
    before = snapshot(world)

    response = send(world, "assign", {"strategy": value})

    assert_rejected(world, response, before, field)


def test_every_endpoint_has_wrong_type_cases():
    assert set(WRONG_TYPES) == set(ENDPOINTS)
