import json
import logging
import re

import pytest

from tenants.context import tenant_context
from tenants.models import Role, User

REQUEST_LOGGER = "tenantdesk.request"
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


def _finished_records(caplog) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == REQUEST_LOGGER and r.getMessage() == "request.finished"
    ]


# --- X-Request-ID -----------------------------------------------------------------------------


@pytest.mark.parametrize("incoming", ["abcdefgh", "req-123_abc.DEF", "a" * 64])
def test_sane_request_id_is_echoed(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["has spaces in it", "a" * 200, "a" * 65, "short", "bad\\chars;here", "<script>x</script>"],
)
def test_insane_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] != incoming
    assert GENERATED_ID.match(response["X-Request-ID"])


def test_missing_request_id_is_generated_per_request(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert GENERATED_ID.match(first)
    assert GENERATED_ID.match(second)
    assert first != second


def test_request_id_is_set_on_error_responses(client, db):
    response = client.get("/no/such/page/", HTTP_X_REQUEST_ID="req-for-a-404")

    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-for-a-404"


# --- log context ------------------------------------------------------------------------------


def test_tenant_request_log_carries_request_tenant_and_user(caplog, member, api_client, tenant):
    owner = member(Role.OWNER)
    client = api_client(owner)

    with caplog.at_level(logging.INFO, logger=REQUEST_LOGGER):
        response = client.get(f"/api/v1/t/{tenant.slug}/", HTTP_X_REQUEST_ID="req-tenant-0001")

    assert response.status_code == 200, response.content
    [record] = _finished_records(caplog)
    assert record.request_id == "req-tenant-0001"
    assert record.tenant == tenant.slug
    assert record.tenant_id == tenant.pk
    assert record.user_id == str(owner.user.public_id)
    assert record.status == 200
    assert record.method == "GET"
    assert record.path == f"/api/v1/t/{tenant.slug}/"


def test_non_tenant_request_log_has_no_tenant_or_user(caplog, client):
    with caplog.at_level(logging.INFO, logger=REQUEST_LOGGER):
        client.get("/healthz", HTTP_X_REQUEST_ID="req-healthz-01")

    [record] = _finished_records(caplog)
    assert record.request_id == "req-healthz-01"
    assert record.tenant is None
    assert record.tenant_id is None
    assert record.user_id is None


def test_log_context_does_not_leak_into_the_next_request(caplog, member, api_client, tenant):
    client = api_client(member(Role.OWNER))
    client.get(f"/api/v1/t/{tenant.slug}/", HTTP_X_REQUEST_ID="req-first-0001")

    with caplog.at_level(logging.INFO, logger=REQUEST_LOGGER):
        client.get("/healthz", HTTP_X_REQUEST_ID="req-second-001")

    [record] = _finished_records(caplog)
    assert record.request_id == "req-second-001"
    assert record.tenant is None
    assert record.tenant_id is None
    assert record.user_id is None


def test_error_and_public_request_lines_carry_the_tenant_id(caplog, member, api_client, tenant):
    client = api_client(member(Role.VIEWER))

    with caplog.at_level(logging.INFO, logger=REQUEST_LOGGER):
        denied = client.post(f"/api/v1/t/{tenant.slug}/customers/", {"email": "a@b.test"})
        missing = client.get(f"/api/v1/t/{tenant.slug}/tickets/424242/")
        public = client.get(f"/api/v1/help/{tenant.slug}/articles/")
        unknown = client.get("/api/v1/help/no-such-tenant/articles/")

    statuses = [denied.status_code, missing.status_code, public.status_code, unknown.status_code]
    assert statuses == [403, 404, 200, 404]
    assert [r.tenant_id for r in _finished_records(caplog)] == [tenant.pk] * 3 + [None]


def test_an_admin_request_line_carries_the_acting_tenant(caplog, member, client, tenant):
    boss = member(Role.SUPERVISOR)
    client.force_login(boss.user)

    with caplog.at_level(logging.INFO, logger=REQUEST_LOGGER):
        response = client.get("/admin/tickets/ticket/")

    assert response.status_code == 200
    [record] = _finished_records(caplog)
    assert record.tenant_id == tenant.pk


def test_log_inside_tenant_context_carries_tenant_id(caplog, tenant, other_tenant):
    log = logging.getLogger("tenantdesk.test")

    with caplog.at_level(logging.INFO, logger="tenantdesk.test"):
        with tenant_context(tenant):
            log.info("inside")
            with tenant_context(other_tenant):
                log.info("nested")
            log.info("back")
        log.info("outside")

    assert [(r.getMessage(), r.tenant_id) for r in caplog.records] == [
        ("inside", tenant.pk),
        ("nested", other_tenant.pk),
        ("back", tenant.pk),
        ("outside", None),
    ]


# --- body size limits -------------------------------------------------------------------------


def test_body_over_limit_is_413_and_nothing_written(client, db, settings):
    body = json.dumps(
        {"email": "big@example.test", "password": "correct-horse-9", "name": "x" * 2_000_000}
    )
    assert len(body) > settings.API_MAX_BODY_BYTES

    response = client.post("/api/v1/auth/register/", body, content_type="application/json")

    assert response.status_code == 413, response.content[:200]
    assert response.json()["code"] == "request_too_large"
    assert not User.objects.filter(email="big@example.test").exists()


def test_body_limit_comes_from_settings(client, db, settings):
    settings.API_MAX_BODY_BYTES = 64
    body = json.dumps(
        {"email": "small@example.test", "password": "correct-horse-9", "name": "Small"}
    )
    assert len(body) > 64

    response = client.post("/api/v1/auth/register/", body, content_type="application/json")

    assert response.status_code == 413, response.content
    assert response.json() == {
        "detail": "Request body too large (limit 64 bytes).",
        "code": "request_too_large",
    }
    assert not User.objects.exists()


def test_body_under_limit_is_accepted(client, db):
    body = json.dumps(
        {"email": "small@example.test", "password": "correct-horse-9", "name": "Small"}
    )

    response = client.post("/api/v1/auth/register/", body, content_type="application/json")

    assert response.status_code == 202, response.content
    assert User.objects.filter(email="small@example.test").exists()


def test_multipart_uses_the_upload_limit(client, db, settings):
    settings.API_MAX_BODY_BYTES = 64
    settings.API_MAX_UPLOAD_BYTES = 10_000

    response = client.post(
        "/api/v1/auth/register/",
        {"email": "multi@example.test", "password": "correct-horse-9", "name": "m" * 100},
    )

    assert response.status_code == 202, response.content
    assert User.objects.filter(email="multi@example.test").exists()


def test_multipart_over_upload_limit_is_413(client, db, settings):
    settings.API_MAX_UPLOAD_BYTES = 1_000

    response = client.post(
        "/api/v1/auth/register/",
        {"email": "multi@example.test", "password": "correct-horse-9", "name": "m" * 2_000},
    )

    assert response.status_code == 413, response.content
    assert response.json()["code"] == "request_too_large"
    assert not User.objects.exists()


@pytest.mark.parametrize("length", ["abc", "1.5", "12 34"])
def test_invalid_content_length_is_400(client, db, length):
    response = client.post(
        "/api/v1/auth/register/",
        json.dumps({"email": "cl@example.test", "password": "correct-horse-9", "name": "C"}),
        content_type="application/json",
        CONTENT_LENGTH=length,
    )

    assert response.status_code == 400, response.content
    assert response.json() == {"detail": "Invalid Content-Length header.", "code": "invalid"}
    assert not User.objects.exists()
