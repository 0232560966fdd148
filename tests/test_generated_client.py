"""A client generated from the published OpenAPI schema (openapi-python-client) builds,
imports, and works against the API: the schema is usable by integrators, not only true."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.test import Client

from tenants.models import Role
from tests.conftest import PASSWORD

# What the generator cannot express (it says so and leaves those two operations out): a raw
# email body (message/rfc822) and a file download of any content type.
KNOWN_GAPS = {
    "POST /api/v1/t/{tenant_slug}/inbound-email/",
    "GET /api/v1/t/{tenant_slug}/tickets/{number}/attachments/{id}/download/",
}
PACKAGE = "tenantdesk_generated_client"


class DjangoTestTransport(httpx.BaseTransport):
    """httpx requests served by Django's test client: the test's database transaction and
    connection stay as they are (a bare WSGI handler closes the connection per request)."""

    def __init__(self):
        self.client = Client()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = {
            f"HTTP_{name.upper().replace('-', '_')}": value
            for name, value in request.headers.items()
            if name.lower() not in ("content-type", "content-length", "host")
        }
        response = self.client.generic(
            request.method,
            request.url.raw_path.decode(),
            request.read(),
            content_type=request.headers.get("content-type", ""),
            **headers,
        )
        return httpx.Response(
            response.status_code, headers=list(response.items()), content=response.content
        )


@pytest.fixture
def generated(tmp_path, client, db):
    schema = tmp_path / "schema.json"
    schema.write_bytes(client.get("/api/schema/", {"format": "json"}).content)
    venv_bin = Path(sys.executable).parent
    result = subprocess.run(  # noqa: S603 — our own venv's generator, fixed arguments
        [
            str(venv_bin / "openapi-python-client"),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(tmp_path / PACKAGE),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    skipped = {
        line.removeprefix("WARNING parsing ").split(" within ")[0]
        for line in (result.stdout + result.stderr).splitlines()
        if line.startswith("WARNING parsing ")
    }
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE), skipped
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith(PACKAGE)]:
            del sys.modules[name]


def test_a_generated_client_builds_imports_and_works(generated, member, tenant):
    package, skipped = generated
    owner = member(Role.OWNER)
    transport = DjangoTestTransport()
    token_create = importlib.import_module(f"{PACKAGE}.api.accounts.api_v1_auth_token_create")
    tickets_create = importlib.import_module(f"{PACKAGE}.api.tickets.api_v1_t_tickets_create")
    tickets_list = importlib.import_module(f"{PACKAGE}.api.tickets.api_v1_t_tickets_list")
    models = importlib.import_module(f"{PACKAGE}.models")
    anonymous = package.AuthenticatedClient(
        base_url="http://testserver", token="", httpx_args={"transport": transport}
    )

    login = token_create.sync(
        client=anonymous,
        body=models.TokenInputRequest(email=owner.user.email, password=PASSWORD),
    )
    api = package.AuthenticatedClient(
        base_url="http://testserver", token=login.token, httpx_args={"transport": transport}
    )
    created = tickets_create.sync(
        tenant.slug,
        client=api,
        body=models.TicketCreateInputRequest(
            subject="Generated client", customer_email="gen@example.test"
        ),
    )
    listed = tickets_list.sync(
        tenant.slug, client=api, include=models.ApiV1TTicketsListInclude.COUNT
    )

    assert skipped == KNOWN_GAPS
    assert isinstance(created, models.TicketOutput) and created.subject == "Generated client"
    assert isinstance(listed, models.PaginatedTicketOutputList)
    assert [t.number for t in listed.results] == [created.number]
    assert listed.count == 1 and listed.count_estimated is False
