"""CORS (django-cors-headers): browser front ends on the origins in CORS_ALLOWED_ORIGINS may
call every API route — the preflight answers for each — and nobody else gets CORS headers."""

import json
import uuid
from collections import defaultdict
from types import SimpleNamespace

import pytest
from django.core.checks import run_checks
from django.test import Client

from tenants.models import Role
from tests.routes import ALL_ROUTES

ORIGIN = "https://app.example.test"
REQUESTED_HEADERS = "authorization, content-type, idempotency-key, if-match"


@pytest.fixture
def cors(settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]


def _any_object():
    return SimpleNamespace(public_id=uuid.uuid4(), number=987654, slug="some-slug")


def _paths():
    """Every API route's path (placeholders filled with made-up objects), with its methods."""
    methods = defaultdict(set)
    for route in ALL_ROUTES:
        path = route.path.format_map(defaultdict(_any_object))
        methods[f"/api/v1/{route.mount}/alpha/{path}"].add(route.method)
    return sorted((path, sorted(m - {"HEAD", "OPTIONS"}) or ["GET"]) for path, m in methods.items())


def _preflight(path, method, origin=ORIGIN):
    return Client().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=REQUESTED_HEADERS,
    )


def test_the_preflight_of_every_api_route_allows_the_origin(cors, db):
    failures = []
    for path, methods in _paths():
        for method in methods:
            response = _preflight(path, method)
            allowed = response.get("Access-Control-Allow-Methods", "")
            headers = response.get("Access-Control-Allow-Headers", "")
            if (
                response.status_code != 200
                or response.get("Access-Control-Allow-Origin") != ORIGIN
                or method not in allowed
                or not all(h.strip() in headers for h in REQUESTED_HEADERS.split(","))
            ):
                failures.append((method, path, response.status_code))

    assert len(_paths()) > 100
    assert failures == []


def test_a_preflight_from_another_origin_gets_no_grant(cors, db):
    response = _preflight("/api/v1/t/alpha/tickets/", "POST", origin="https://evil.example")

    assert "Access-Control-Allow-Origin" not in response


def test_without_configured_origins_nobody_gets_a_grant(db):
    response = _preflight("/api/v1/t/alpha/tickets/", "GET")

    assert "Access-Control-Allow-Origin" not in response


def test_an_answer_to_the_origin_exposes_the_headers_a_client_needs(
    cors, member, api_client, tenant
):
    client = api_client(member(Role.OWNER))

    response = client.get(f"/api/v1/t/{tenant.slug}/", HTTP_ORIGIN=ORIGIN)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "link", "location", "retry-after", "x-request-id"} <= exposed
    assert "Access-Control-Allow-Credentials" not in response  # tokens travel in headers


def test_errors_answered_before_the_view_carry_cors_too(cors, db, settings):
    body = json.dumps({"name": "x" * (settings.API_MAX_BODY_BYTES + 1)})

    response = Client().post(
        "/api/v1/auth/register/", body, content_type="application/json", HTTP_ORIGIN=ORIGIN
    )

    assert response.status_code == 413
    assert response["Access-Control-Allow-Origin"] == ORIGIN


def test_the_admin_and_other_pages_get_no_cors_headers(cors, db):
    response = Client().get("/healthz", HTTP_ORIGIN=ORIGIN)

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_a_malformed_origin_fails_the_system_checks(settings):
    settings.CORS_ALLOWED_ORIGINS = ["app.example.test"]  # no scheme

    errors = [e.id for e in run_checks() if e.id.startswith("corsheaders.")]

    assert errors == ["corsheaders.E013"]
