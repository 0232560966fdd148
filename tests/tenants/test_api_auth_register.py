"""Registering (POST auth/register/): an unverified account and a 202 that reads the same for a
taken address; weak or similar passwords, missing, invalid and unknown fields are a 400."""

import pytest

from tenants.models import User
from tests.conftest import PASSWORD
from tests.errors import field_errors
from tests.tenants.helpers import register_body as _register_body

REGISTER_URL = "/api/v1/auth/register/"


# --- register ---------------------------------------------------------------------------------


def test_register_creates_an_unverified_user_and_answers_202(
    anon_client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post(
            REGISTER_URL, _register_body(email="New.Person@Example.TEST"), format="json"
        )

    assert response.status_code == 202, response.content
    assert set(response.json()) == {"detail"}
    assert "password" not in response.content.decode()
    user = User.objects.get(email="new.person@example.test")
    assert user.name == "New Person"
    assert user.check_password(PASSWORD)
    assert not user.is_staff
    assert user.email_verified_at is None


def test_register_duplicate_email_case_insensitive_answers_the_same_202(
    anon_client, make_user, django_capture_on_commit_callbacks
):
    existing = make_user(email="taken@example.test", name="Rightful Owner")
    password_before = existing.password
    fresh = anon_client.post(REGISTER_URL, _register_body(email="fresh@example.test"))

    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post(
            REGISTER_URL, _register_body(email="TAKEN@Example.test", name="Intruder")
        )

    assert response.status_code == 202, response.content
    assert response.json() == fresh.json()
    assert User.objects.filter(email__iexact="taken@example.test").count() == 1
    existing.refresh_from_db()
    assert (existing.password, existing.name) == (password_before, "Rightful Owner")


@pytest.mark.parametrize("password", ["short", "password123", "12345678901234", ""])
def test_register_weak_password_is_400_with_password_errors(anon_client, db, password):
    response = anon_client.post(REGISTER_URL, _register_body(password=password), format="json")

    assert response.status_code == 400, response.content
    assert field_errors(response)["password"]
    assert not User.objects.exists()


def test_register_password_similar_to_email_is_400(anon_client, db):
    response = anon_client.post(
        REGISTER_URL,
        _register_body(email="jonathan.smithers@example.test", password="jonathan.smithers"),
        format="json",
    )

    assert response.status_code == 400, response.content
    assert field_errors(response)["password"]
    assert not User.objects.exists()


@pytest.mark.parametrize("missing", ["email", "password", "name"])
def test_register_missing_field_is_400(anon_client, db, missing):
    body = _register_body()
    del body[missing]

    response = anon_client.post(REGISTER_URL, body, format="json")

    assert response.status_code == 400, response.content
    assert field_errors(response)[missing] == ["This field is required."]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "a" * 250 + "@example.test"),
        ("name", "n" * 151),
        ("password", "p" * 129),
        ("email", "not-an-email"),
    ],
)
def test_register_invalid_field_is_400(anon_client, db, field, value):
    response = anon_client.post(REGISTER_URL, _register_body(**{field: value}), format="json")

    assert response.status_code == 400, response.content
    assert field_errors(response)[field]
    assert not User.objects.exists()


@pytest.mark.parametrize("field", ["is_staff", "is_superuser", "tenant"])
def test_register_unknown_field_is_400(anon_client, db, field):
    response = anon_client.post(REGISTER_URL, _register_body(**{field: True}), format="json")

    assert response.status_code == 400, response.content
    assert field_errors(response) == {field: ["Unknown field."]}
    assert not User.objects.exists()
