"""Hostile and sloppy bodies on the account endpoints (password change, password reset, email
verification): always a 400 naming the field, nothing written, no email, never a 500."""

import json
from types import SimpleNamespace

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from tenants import services
from tenants.models import User
from tenants.tokens import link_token_make
from tests.conftest import PASSWORD
from tests.errors import field_errors
from tests.tenants.recipes import unverified_user_recipe, user_recipe

NEW_PASSWORD = "quiet-lantern-harbour-82"
HUGE = "x" * 10_000


@pytest.fixture
def world(db):
    user = user_recipe.make(email="pat@example.test")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    pending = unverified_user_recipe.make(email="pending@example.test")
    _, raw = services.auth_token_create(user=user)
    services.auth_token_create(user=user)  # another session, revoked by a password change
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    user.refresh_from_db()  # logging in set last_login, which reset tokens depend on
    return SimpleNamespace(
        user=user, pending=pending, clients={"anon": APIClient(), "user": bearer}
    )


ENDPOINTS = {
    "password-change": (
        "/api/v1/auth/password/",
        "user",
        lambda w: {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        204,
    ),
    "password-reset": (
        "/api/v1/auth/password-reset/",
        "anon",
        lambda w: {"email": w.user.email},
        202,
    ),
    "password-reset-confirm": (
        "/api/v1/auth/password-reset/confirm/",
        "anon",
        lambda w: {
            "token": link_token_make(user=w.user, purpose="password_reset"),
            "new_password": NEW_PASSWORD,
        },
        204,
    ),
    "verify-email": (
        "/api/v1/auth/verify-email/",
        "anon",
        lambda w: {"token": link_token_make(user=w.pending, purpose="email_verification")},
        204,
    ),
}

WRONG_TYPES = {
    "password-change": [
        ("current-list", "current_password", []),
        ("current-null", "current_password", None),
        ("new-object", "new_password", {}),
        ("new-bool", "new_password", False),
        ("new-int", "new_password", 12345678),
    ],
    "password-reset": [
        ("email-int", "email", 5),
        ("email-list", "email", ["pat@example.test"]),
        ("email-null", "email", None),
        ("email-not-an-address", "email", "pat at example"),
    ],
    "password-reset-confirm": [
        ("token-list", "token", []),
        ("token-int", "token", 5),
        ("token-null", "token", None),
        ("new-list", "new_password", []),
        ("new-null", "new_password", None),
    ],
    "verify-email": [
        ("token-object", "token", {"t": 1}),
        ("token-bool", "token", True),
        ("token-null", "token", None),
        ("token-empty", "token", ""),
    ],
}

OVER_LONG = {
    "password-change": [
        ("current-10k", "current_password", HUGE),
        ("new-10k", "new_password", HUGE),
    ],
    "password-reset": [("email-300", "email", "a" * 288 + "@example.test")],
    "password-reset-confirm": [("token-10k", "token", HUGE), ("new-10k", "new_password", HUGE)],
    "verify-email": [("token-10k", "token", HUGE)],
}


def _params(table):
    return [
        pytest.param(name, field, value, id=f"{name}-{case}")
        for name, rows in table.items()
        for case, field, value in rows
    ]


def _send(world, name, body, *, raw: bool = False, content_type="application/json"):
    path, who, _, _ = ENDPOINTS[name]
    payload = body if raw else json.dumps(body)
    return world.clients[who].generic("POST", path, payload, content_type=content_type)


def _valid(world, name, **fields) -> dict:
    return {**ENDPOINTS[name][2](world), **fields}


@pytest.fixture
def snapshot(world, mailoutbox):
    def take() -> dict:
        return {
            "users": sorted(
                User.objects.values_list("email", "password", "email_verified_at", "is_active")
            ),
            "tokens": AuthToken.objects.count(),
            "emails": len(mailoutbox),
        }

    return take


@pytest.fixture
def send(world, django_capture_on_commit_callbacks):
    """send(name, body, raw=False) with commit callbacks (the emails) executed."""

    def post(name, body, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return _send(world, name, body, **kwargs)

    return post


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_valid_body_is_accepted_and_acts(world, snapshot, send, name):
    before = snapshot()

    response = send(name, _valid(world, name))

    assert response.status_code == ENDPOINTS[name][3], response.content
    assert snapshot() != before


@pytest.mark.parametrize(("name", "field", "value"), _params(WRONG_TYPES))
def test_wrong_type_is_400_naming_the_field(world, snapshot, send, name, field, value):
    before = snapshot()

    response = send(name, _valid(world, name, **{field: value}))

    assert field in field_errors(response)
    assert snapshot() == before


@pytest.mark.parametrize(("name", "field", "value"), _params(OVER_LONG))
def test_over_long_string_is_400_naming_the_field(world, snapshot, send, name, field, value):
    before = snapshot()

    response = send(name, _valid(world, name, **{field: value}))

    assert field in field_errors(response)
    assert snapshot() == before


def test_every_endpoint_has_wrong_type_and_over_long_cases():
    assert set(WRONG_TYPES) == set(OVER_LONG) == set(ENDPOINTS)


@pytest.mark.parametrize("field", ["email_verified_at", "user", "is_active", "Token"])
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_unknown_field_is_400(world, snapshot, send, name, field):
    before = snapshot()

    response = send(name, _valid(world, name, **{field: "x"}))

    assert field_errors(response)[field] == ["Unknown field."]
    assert snapshot() == before


@pytest.mark.parametrize("body", [[], "just a string", 5, None, [{"email": "x"}]])
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_non_object_body_is_400(world, snapshot, send, name, body):
    before = snapshot()

    response = send(name, body)

    assert "non_field_errors" in field_errors(response)
    assert snapshot() == before


@pytest.mark.parametrize("body", ['{"token": ', "not json", b'{"email": "\xff"}'])
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_malformed_json_is_400(world, snapshot, send, name, body):
    before = snapshot()

    response = send(name, body, raw=True)

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert snapshot() == before


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_unsupported_media_type_is_415(world, snapshot, send, name):
    before = snapshot()

    response = send(name, "email=x", raw=True, content_type="text/plain")

    assert response.status_code == 415
    assert snapshot() == before
