"""One error shape everywhere: {"detail", "code"}; validation errors add "errors" by field, and
their detail names the first problem so a person reading only that line knows what to fix."""

import pytest
from rest_framework.test import APIClient

from tenants.models import Role
from tests.errors import field_errors


@pytest.fixture
def owner_client(member, api_client):
    return api_client(member(Role.OWNER))


def test_one_bad_field_is_named_in_the_detail(owner_client, tenant):
    response = owner_client.post(
        f"/api/v1/t/{tenant.slug}/customers/", {"email": "not-an-email"}, format="json"
    )

    assert field_errors(response) == {"email": ["Enter a valid email address."]}
    assert response.json()["detail"] == "email: Enter a valid email address."


def test_several_bad_fields_are_counted_in_the_detail(owner_client, tenant):
    response = owner_client.post(
        f"/api/v1/t/{tenant.slug}/customers/",
        {"email": "nope", "tier": "gold", "name": 5 * ["x"]},
        format="json",
    )

    assert set(field_errors(response)) == {"email", "tier", "name"}
    assert response.json()["detail"].endswith("(and problems in 2 more fields)")


def test_nested_errors_keep_their_nesting_and_their_path(owner_client, tenant):
    response = owner_client.patch(
        f"/api/v1/t/{tenant.slug}/", {"settings": {"colour": "blue"}}, format="json"
    )

    assert field_errors(response) == {"settings": {"colour": ["Unknown field."]}}
    assert response.json()["detail"] == "settings.colour: Unknown field."


def test_a_body_that_is_not_an_object_is_a_non_field_error(owner_client, tenant):
    response = owner_client.post(f"/api/v1/t/{tenant.slug}/customers/", [1, 2], format="json")

    assert list(field_errors(response)) == ["non_field_errors"]
    assert response.json()["detail"] == field_errors(response)["non_field_errors"][0]


def test_service_validation_errors_have_the_same_shape(owner_client, tenant):
    owner_client.post(f"/api/v1/t/{tenant.slug}/customers/", {"email": "a@x.test"}, format="json")

    response = owner_client.post(
        f"/api/v1/t/{tenant.slug}/customers/", {"email": "A@x.test"}, format="json"
    )

    assert field_errors(response) == {"email": ["A customer with this email already exists."]}


JSON = "application/json"


@pytest.mark.parametrize(
    ("role", "method", "path", "kwargs", "status", "code"),
    [
        (None, "get", "/api/v1/t/alpha/", {}, 401, "not_authenticated"),
        ("owner", "get", "/api/v1/t/nowhere/", {}, 404, "not_found"),
        ("owner", "put", "/api/v1/t/alpha/", {}, 405, "method_not_allowed"),
        ("viewer", "post", "/api/v1/t/alpha/customers/", {}, 403, "permission_denied"),
        (
            "owner",
            "post",
            "/api/v1/t/alpha/customers/",
            {"data": "x", "content_type": "text/plain"},
            415,
            "unsupported_media_type",
        ),
        (
            "owner",
            "post",
            "/api/v1/t/alpha/customers/",
            {"data": "{", "content_type": JSON},
            400,
            "parse_error",
        ),
    ],
    ids=["401", "404", "405", "403", "415", "400-parse"],
)
def test_every_error_has_a_detail_and_a_code(
    member, api_client, tenant, role, method, path, kwargs, status, code
):
    client = api_client(member(role)) if role else APIClient()

    response = getattr(client, method)(path, **kwargs)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert set(response.json()) == {"detail", "code"}
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]
