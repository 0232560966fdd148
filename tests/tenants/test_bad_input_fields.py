"""Bad fields in otherwise valid bodies on every writable endpoint (tests/tenants/bad_input.py):
a wrong type, an over-long string, an unknown field or settings key is a 400 naming the field,
and nothing is written. Every endpoint has wrong-type and over-long cases.

The Django test client re-raises server errors, so a 500 fails these tests loudly.
"""

import pytest

from tests.errors import field_errors
from tests.tenants.bad_input import ENDPOINTS, cases, each_endpoint, send, snapshot, with_valid

LONG_EMAIL = "a" * 288 + "@example.test"  # 301 characters
HUGE = "x" * 10_000


# --- Wrong types ------------------------------------------------------------------------------

WRONG_TYPES = {
    "register": [
        ("email-int", "email", 5),
        ("email-null", "email", None),
        ("password-list", "password", []),
        ("name-list", "name", []),
        ("name-object", "name", {"first": "x"}),
        ("name-bool", "name", True),
    ],
    "token": [
        ("email-list", "email", []),
        ("password-object", "password", {}),
        ("password-bool", "password", False),
    ],
    "tenant-create": [
        ("slug-int", "slug", 5),
        ("name-list", "name", []),
        ("timezone-list", "timezone", ["UTC"]),
        ("settings-string", "settings", "x"),
        ("settings-list", "settings", []),
        ("settings-bool-maybe", "settings", {"help_center_enabled": "maybe"}),
    ],
    "tenant-patch": [
        ("name-list", "name", []),
        ("name-null", "name", None),
        ("timezone-int", "timezone", 5),
        ("settings-string", "settings", "x"),
        ("settings-null", "settings", None),
        ("settings-hours-word", "settings", {"unassigned_escalation_hours": "many"}),
    ],
    "invitation-create": [
        ("email-list", "email", []),
        ("role-int", "role", 5),
        ("role-list", "role", ["agent"]),
        ("is_senior-maybe", "is_senior", "maybe"),
        ("is_senior-list", "is_senior", []),
    ],
    "invitation-accept": [
        ("token-list", "token", []),
        ("token-object", "token", {}),
        ("token-null", "token", None),
        ("password-list", "password", []),
        ("name-list", "name", []),
        ("name-bool", "name", True),
    ],
    "member-patch": [
        ("role-int", "role", 5),
        ("role-null", "role", None),
        ("is_senior-maybe", "is_senior", "maybe"),
        ("is_active-object", "is_active", {}),
    ],
    "api-key-create": [
        ("name-list", "name", []),
        ("name-object", "name", {}),
        ("role-int", "role", 5),
    ],
}


@pytest.mark.parametrize(("name", "field", "value"), cases(WRONG_TYPES))
def test_wrong_type_is_400_naming_the_field(world, name, field, value):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, {field: value}))

    assert response.status_code == 400
    assert field in field_errors(response)
    assert snapshot(world) == before


def test_every_endpoint_has_wrong_type_cases():
    assert set(WRONG_TYPES) == set(ENDPOINTS)


# --- Over-long strings ------------------------------------------------------------------------

OVER_LONG = {
    "register": [
        ("name-10k", "name", HUGE),
        ("email-300", "email", LONG_EMAIL),
        ("password-10k", "password", HUGE),
    ],
    "token": [("email-300", "email", LONG_EMAIL), ("password-10k", "password", HUGE)],
    "tenant-create": [
        ("name-10k", "name", HUGE),
        ("slug-10k", "slug", "a" * 10_000),
        ("timezone-10k", "timezone", HUGE),
    ],
    "tenant-patch": [
        ("name-10k", "name", HUGE),
        ("timezone-10k", "timezone", HUGE),
        ("slug-10k", "slug", "a" * 10_000),
    ],
    "invitation-create": [("email-300", "email", LONG_EMAIL), ("role-10k", "role", HUGE)],
    "invitation-accept": [
        ("token-10k", "token", HUGE),
        ("password-10k", "password", HUGE),
        ("name-10k", "name", HUGE),
    ],
    "member-patch": [("role-10k", "role", HUGE)],
    "api-key-create": [("name-10k", "name", HUGE), ("role-10k", "role", HUGE)],
}


@pytest.mark.parametrize(("name", "field", "value"), cases(OVER_LONG))
def test_over_long_string_is_400_naming_the_field(world, name, field, value):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, {field: value}))

    assert response.status_code == 400
    assert field in field_errors(response)
    assert snapshot(world) == before


def test_every_endpoint_has_over_long_cases():
    assert set(OVER_LONG) == set(ENDPOINTS)


# --- Unknown fields (typos, mass assignment) --------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("tenant", 2, id="tenant"),
        pytest.param("id", "00000000-0000-0000-0000-000000000001", id="id"),
        pytest.param("is_staff", True, id="is_staff"),
        pytest.param("Name", "case-typo", id="case-typo"),
    ],
)
@pytest.mark.parametrize("name", each_endpoint())
def test_unknown_field_is_400(world, name, field, value):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, {field: value}))

    assert response.status_code == 400
    assert field_errors(response)[field] == ["Unknown field."]
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("name", "body"),
    [
        pytest.param("tenant-create", {"settings": {"colour": "blue"}}, id="tenant-create"),
        pytest.param("tenant-patch", {"settings": {"colour": "blue"}}, id="tenant-patch"),
    ],
)
def test_unknown_settings_key_is_400(world, name, body):
    before = snapshot(world)

    response = send(world, name, with_valid(world, name, body))

    assert response.status_code == 400
    assert field_errors(response)["settings"]["colour"] == ["Unknown field."]
    assert snapshot(world) == before
