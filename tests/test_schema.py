import yaml
from django.core.management import call_command


def test_schema_lists_the_tenant_routes(client, db):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["info"]["title"] == "Tenantdesk API"
    assert "/api/v1/t/{tenant_slug}/members/" in schema["paths"]
    assert "/api/v1/t/{tenant_slug}/members/{id}/" in schema["paths"]
    assert "/api/v1/auth/token/" in schema["paths"]


def test_schema_as_json(client, db):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert "/api/v1/t/{tenant_slug}/audit-log/" in response.json()["paths"]


def test_schema_documents_both_credential_kinds(client, db):
    schemes = yaml.safe_load(client.get("/api/schema/").content)["components"]["securitySchemes"]

    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "Token from auth/token/.",
    }
    assert schemes["apiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Tenant API key, sent as "Api-Key <key>".',
    }


def test_schema_documents_list_filters(client, db):
    paths = yaml.safe_load(client.get("/api/schema/").content)["paths"]

    member_params = {
        p["name"] for p in paths["/api/v1/t/{tenant_slug}/members/"]["get"]["parameters"]
    }
    audit_params = {
        p["name"] for p in paths["/api/v1/t/{tenant_slug}/audit-log/"]["get"]["parameters"]
    }
    assert {"role", "is_active", "cursor", "page_size"} <= member_params
    assert {"action", "actor", "created_after", "created_before"} <= audit_params


def test_schema_unknown_format_is_404(client, db):
    response = client.get("/api/schema/", {"format": "xml"})

    assert response.status_code == 404


def test_docs_page_is_html(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"swagger-ui" in response.content
    assert b"/api/schema/" in response.content


def test_docs_page_rejects_post(client, db):
    response = client.post("/api/docs/")

    assert response.status_code == 405


def test_schema_generation_has_no_warnings(tmp_path, db):
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    assert "/api/v1/t/{tenant_slug}/members/" in schema["paths"]


def test_schema_documents_the_account_endpoints_with_their_real_status_codes(client, db):
    paths = yaml.safe_load(client.get("/api/schema/").content)["paths"]
    codes = {
        path: sorted(paths[f"/api/v1/auth/{path}"]["post"]["responses"])
        for path in (
            "register/",
            "verify-email/",
            "token/",
            "logout-all/",
            "password/",
            "password-reset/",
            "password-reset/confirm/",
        )
    }

    assert codes == {
        "register/": ["202"],
        "verify-email/": ["204"],
        "token/": ["200"],
        "logout-all/": ["204"],
        "password/": ["204"],
        "password-reset/": ["202"],
        "password-reset/confirm/": ["204"],
    }
    register = paths["/api/v1/auth/register/"]["post"]["responses"]["202"]
    assert register["content"]["application/json"]["schema"]["$ref"].endswith("/AcceptedOutput")
