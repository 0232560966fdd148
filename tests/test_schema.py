import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from tests.conftest import module_world
from tests.openapi import generated_schema

# The schema the server serves (GET /api/schema/, YAML) is fetched once for the module and
# parsed once: the tests below only read it. Building it takes seconds each time.


@pytest.fixture(scope="module")
def schema_response(django_db_setup, django_db_blocker):
    # In a transaction rolled back at the module's end, like any test's requests.
    with module_world(django_db_blocker, lambda: Client().get("/api/schema/")) as response:
        yield response


@pytest.fixture(scope="module")
def served_schema(schema_response):
    assert schema_response.status_code == 200
    return yaml.safe_load(schema_response.content)


def test_schema_lists_the_tenant_routes(schema_response):
    response = schema_response

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["info"]["title"] == "Tenantdesk API"
    assert "/api/v1/t/{tenant_slug}/members/" in schema["paths"]
    assert "/api/v1/t/{tenant_slug}/members/{id}/" in schema["paths"]
    assert "/api/v1/auth/token/" in schema["paths"]
    assert set(schema["paths"]["/api/v1/t/{tenant_slug}/invitations/"]) == {"get", "post"}
    assert "/api/v1/t/{tenant_slug}/invitations/{id}/resend/" in schema["paths"]
    assert "/api/v1/auth/invitations/accept/" in schema["paths"]
    # Members join by invitation: the members list documents no POST.
    assert "post" not in schema["paths"]["/api/v1/t/{tenant_slug}/members/"]


def test_schema_as_json(client, db):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert "/api/v1/t/{tenant_slug}/audit-log/" in response.json()["paths"]


def test_schema_documents_both_credential_kinds(served_schema):
    schemes = served_schema["components"]["securitySchemes"]

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


def test_schema_documents_list_filters(served_schema):
    paths = served_schema["paths"]

    member_params = {
        p["name"] for p in paths["/api/v1/t/{tenant_slug}/members/"]["get"]["parameters"]
    }
    audit_params = {
        p["name"] for p in paths["/api/v1/t/{tenant_slug}/audit-log/"]["get"]["parameters"]
    }
    assert {"role", "is_active", "cursor", "page_size"} <= member_params
    assert {"action", "actor", "created_after", "created_before"} <= audit_params


@pytest.mark.parametrize("route", ["comments", "events"])
def test_a_tickets_comments_and_history_offer_no_ticket_list_filters(served_schema, route):
    paths = served_schema["paths"]

    operation = paths[f"/api/v1/t/{{tenant_slug}}/tickets/{{number}}/{route}/"]["get"]
    params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}

    # Their pages, not the ticket list's filters (which these routes never applied).
    assert params == {"cursor", "page_size", "include"}


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


def test_schema_documents_the_account_endpoints_with_their_real_status_codes(served_schema):
    paths = served_schema["paths"]
    codes = {
        path: sorted(
            code for code in paths[f"/api/v1/auth/{path}"]["post"]["responses"] if code < "300"
        )
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


# --- The schema says what the server does (the contract test sends the requests) -----------


@pytest.fixture(scope="module")
def spec():
    return generated_schema()


def _op(spec, path, method):
    return spec["paths"][f"/api/v1/t/{{tenant_slug}}/{path}"][method]


def _ref(response):
    return response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]


def test_creating_a_comment_is_documented_as_201_with_the_comment(spec):
    responses = _op(spec, "tickets/{number}/comments/", "post")["responses"]

    assert _ref(responses["201"]) == "CommentOutput"
    assert "200" not in responses


@pytest.mark.parametrize(
    ("path", "method", "status", "component"),
    [
        ("tickets/", "post", "201", "TicketOutput"),
        ("tickets/{number}/", "patch", "200", "TicketOutput"),
        ("tickets/{number}/assign/", "post", "200", "TicketOutput"),
        ("customers/", "post", "201", "CustomerOutput"),
        ("customers/{id}/", "patch", "200", "CustomerOutput"),
        ("members/{id}/", "patch", "200", "MemberOutput"),
    ],
)
def test_writes_answer_with_the_output_serializer_not_the_input_one(
    spec, path, method, status, component
):
    assert _ref(_op(spec, path, method)["responses"][status]) == component


def test_every_error_response_has_the_error_body(spec):
    refs = {
        _ref(response)
        for ops in spec["paths"].values()
        for op in ops.values()
        if isinstance(op, dict) and "responses" in op
        for status, response in op["responses"].items()
        if status.startswith(("4", "5"))
    }

    assert refs == {"Error"}
    assert set(spec["components"]["schemas"]["Error"]["required"]) == {"detail", "code"}


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("tickets/", "get", {"400", "401", "403", "404", "429"}),
        ("tickets/", "post", {"400", "401", "403", "404", "409", "413", "415", "422", "429"}),
        ("tickets/{number}/", "patch", {"400", "404", "409", "412", "413", "415"}),
        ("tickets/{number}/", "delete", {"401", "403", "404", "409", "412"}),
    ],
)
def test_error_statuses_the_plumbing_can_give_are_documented(spec, path, method, statuses):
    assert statuses <= set(_op(spec, path, method)["responses"])


def test_idempotency_and_conditional_headers_are_documented(spec):
    def headers(op):
        return {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}

    assert "Idempotency-Key" in headers(_op(spec, "tickets/", "post"))
    assert "Idempotency-Key" in headers(_op(spec, "customers/{id}/erase/", "post"))
    assert "If-Match" in headers(_op(spec, "tickets/{number}/", "patch"))
    assert "If-Match" in headers(_op(spec, "customers/{id}/", "delete"))
    assert "If-Match" not in headers(_op(spec, "members/{id}/", "patch"))  # not honoured there
    assert _op(spec, "tickets/{number}/", "get")["responses"]["200"]["headers"]["ETag"]["required"]
    assert "Idempotent-Replayed" in _op(spec, "tickets/", "post")["responses"]["201"]["headers"]


def test_nullable_fields_are_marked(spec):
    ticket = spec["components"]["schemas"]["TicketOutput"]["properties"]

    assert ticket["assignee"].get("nullable") is True
    assert ticket["closed_at"].get("nullable") is True
    assert ticket["subject"].get("nullable") is None


def test_filter_values_are_documented(spec):
    params = {p["name"]: p for p in _op(spec, "tickets/", "get")["parameters"]}

    assert params["ordering"]["schema"]["pattern"] == (
        "^(-?(first_response_due_at|resolution_due_at|sla_due)"
        "|-?(created_at|updated_at|number)(,-?(created_at|updated_at|number))*)$"
    )
    assert params["page_size"]["schema"] == {"type": "integer", "minimum": 1}
    assert "me|none" in params["assignee"]["schema"]["pattern"]


def test_no_view_class_docstring_becomes_an_operation_description(spec):
    descriptions = {
        op.get("description", "")
        for ops in spec["paths"].values()
        for op in ops.values()
        if isinstance(op, dict)
    }

    assert not any("selector" in d or "single-operation" in d for d in descriptions)


def test_every_operation_has_an_area_tag_and_a_summary(served_schema):
    from config.api.tags import TAGS

    schema = served_schema
    declared = [tag["name"] for tag in schema["tags"]]
    operations = [
        (method.upper(), path, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if isinstance(op, dict)
    ]

    assert declared == [name for name, _, _ in TAGS]
    untagged = [(m, p) for m, p, op in operations if op.get("tags", [None])[0] not in declared]
    unsummarised = [(m, p) for m, p, op in operations if not op.get("summary", "").strip()]
    assert (untagged, unsummarised) == ([], [])
    by_tag = {}
    for method, path, op in operations:
        by_tag.setdefault(op["tags"][0], []).append((op["summary"], method, path))
    # Within an area no two operations read alike.
    for tag, summaries in by_tag.items():
        texts = [summary for summary, _, _ in summaries]
        assert len(texts) == len(set(texts)), (tag, sorted(summaries))


@pytest.mark.parametrize(
    "path, tag",
    [
        ("/api/v1/t/{tenant_slug}/tickets/{number}/suggestions/", "Knowledge base"),
        ("/api/v1/t/{tenant_slug}/tickets/{number}/comments/", "Tickets"),
        ("/api/v1/help/{tenant_slug}/articles/", "Help center (public)"),
        ("/api/v1/t/{tenant_slug}/webhook-deliveries/{id}/", "Webhooks"),
        ("/api/v1/t/{tenant_slug}/members/", "Tenants and access"),
        ("/api/v1/auth/token/", "Accounts"),
    ],
)
def test_paths_land_in_their_area(path, tag):
    from config.api.tags import tag_for

    assert tag_for(path) == tag


def test_every_error_response_has_an_example_of_the_error_body(served_schema):
    schema = served_schema

    missing = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if not isinstance(op, dict):
                continue
            for status, response in op.get("responses", {}).items():
                if not status.startswith(("4", "5")):
                    continue
                for content in response.get("content", {}).values():
                    example = content.get("example")
                    if not (isinstance(example, dict) and {"detail", "code"} <= set(example)):
                        missing.append((method, path, status))

    assert missing == []


def test_every_query_parameter_is_described(spec):
    # A sentence, not only the generated list of values or the parameter's own name.
    undescribed = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for parameter in op.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                first_line = (parameter.get("description") or "").split("\n")[0].strip()
                if not first_line or first_line.startswith("*") or first_line == parameter["name"]:
                    undescribed.append((method, path, parameter["name"]))

    assert undescribed == []


@pytest.mark.parametrize(
    ("path", "method", "errors"),
    [
        ("tickets/{number}/comments/", "post", {"body": ["This field is required."]}),
        ("tickets/", "post", {"subject": ["This field is required."]}),
        ("tickets/{number}/", "patch", {"colour": ["Unknown field."]}),
    ],
)
def test_a_400_example_names_the_operations_own_fields(spec, client, db, path, method, errors):
    example = _op(spec, path, method)["responses"]["400"]["content"]["application/json"]
    assert example["example"]["errors"] == errors
    assert example["example"]["code"] == "invalid"


def test_a_400_example_is_what_the_api_answers(spec, member, api_client, tenant, in_tenant):
    from tenants.models import Role
    from tests.tickets.recipes import customer_recipe, ticket_recipe

    with in_tenant(tenant):
        ticket = ticket_recipe.make(tenant=tenant, requester=customer_recipe.make(tenant=tenant))
    client = api_client(member(Role.AGENT))
    documented = _op(spec, "tickets/{number}/comments/", "post")["responses"]["400"]

    response = client.post(
        f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/comments/", {}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == documented["content"]["application/json"]["example"]
