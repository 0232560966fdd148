"""Hostile and sloppy bodies on every writable endpoint (tests/tenants/bad_input.py): malformed
JSON, bodies that are not an object, the wrong media type, bodies over the size limit or with a
bad Content-Length, too many form fields, absurd nesting and lone UTF-16 surrogates are a 4xx that
writes nothing; a valid body (the control) is accepted and writes.

The Django test client re-raises server errors, so a 500 fails these tests loudly.
"""

import json

import pytest
from django.conf import settings

from tests.errors import field_errors
from tests.tenants.bad_input import ENDPOINTS, each_endpoint, send, send_raw, snapshot, with_valid

# --- The control: a valid body works and changes something --------------------------------


@pytest.mark.parametrize("name", each_endpoint())
def test_valid_body_is_accepted_and_writes(world, name):
    before = snapshot(world)

    response = send(world, name, ENDPOINTS[name].valid(world))

    assert response.status_code == ENDPOINTS[name].success, response.content
    assert snapshot(world) != before


# --- Malformed JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"name": ', id="truncated"),
        pytest.param("{'name': 'x'}", id="single-quotes"),
        pytest.param('{"name": "x",}', id="trailing-comma"),
        pytest.param('{"name": NaN}', id="nan"),
        pytest.param(b'{"name": "\xff\xfe"}', id="invalid-utf8"),
        pytest.param("not json at all", id="prose"),
    ],
)
@pytest.mark.parametrize("name", each_endpoint())
def test_malformed_json_is_400_with_detail(world, name, body):
    before = snapshot(world)

    response = send_raw(world, name, body)

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["detail"]
    assert snapshot(world) == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([], id="empty-array"),
        pytest.param([{"name": "x", "role": "agent"}], id="array-of-object"),
        pytest.param("just a string", id="string"),
        pytest.param(5, id="number"),
        pytest.param(None, id="null"),
    ],
)
@pytest.mark.parametrize("name", each_endpoint())
def test_non_object_body_is_400(world, name, body):
    before = snapshot(world)

    response = send(world, name, body)

    assert response.status_code == 400
    assert "non_field_errors" in field_errors(response)
    assert snapshot(world) == before


@pytest.mark.parametrize("name", each_endpoint())
def test_unsupported_media_type_is_415(world, name):
    before = snapshot(world)

    response = send_raw(world, name, "name=x", content_type="text/plain")

    assert response.status_code == 415
    assert snapshot(world) == before


# --- Size limits ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", each_endpoint())
def test_body_over_the_limit_is_413(world, name):
    before = snapshot(world)
    body = json.dumps(with_valid(world, name, {"name": "x" * settings.API_MAX_BODY_BYTES}))

    response = send_raw(world, name, body)

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert snapshot(world) == before


@pytest.mark.parametrize("name", each_endpoint())
def test_invalid_content_length_is_400(world, name):
    before = snapshot(world)

    response = send_raw(world, name, json.dumps({}), CONTENT_LENGTH="lots")

    assert response.status_code == 400
    assert response.json()["detail"]
    assert snapshot(world) == before


# --- Forms and nesting ---------------------------------------------------------------------


def test_form_with_too_many_fields_is_a_json_400(world):
    fields = "&".join(f"f{i}=x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    before = snapshot(world)

    response = send_raw(world, "invitation-create", fields, "application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert snapshot(world) == before


def test_absurdly_nested_json_is_a_400(world):
    before = snapshot(world)
    body = "[" * 100_000 + "]" * 100_000

    response = send_raw(world, "invitation-create", body)

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    assert snapshot(world) == before


# --- Lone UTF-16 surrogates -------------------------------------------------------------------


def _surrogate_bodies(valid: dict) -> list[tuple[str, dict]]:
    first = next(iter(valid))
    return [
        ("value", {**valid, first: "x\ud800y"}),
        ("low-surrogate-value", {**valid, first: "\udfff"}),
        ("key", {**valid, "\ud800": "x"}),
        ("nested", {**valid, first: ["a", {"b": "\udbff"}]}),
    ]


@pytest.mark.parametrize("position", ["value", "low-surrogate-value", "key", "nested"])
@pytest.mark.parametrize("name", each_endpoint())
def test_lone_surrogate_anywhere_is_a_parse_error(world, name, position):
    body = dict(_surrogate_bodies(ENDPOINTS[name].valid(world)))[position]
    before = snapshot(world)

    response = send(world, name, body)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"
    assert "surrogate" in response.json()["detail"]
    assert snapshot(world) == before


def test_a_surrogate_pair_is_a_character_and_accepted(world):
    response = send(world, "tenant-patch", {"name": "Cheerful \ud83d\ude00 desk"})

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Cheerful \U0001f600 desk"
