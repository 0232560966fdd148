"""The OpenAPI examples are true: each matches its operation's schema strictly (no field the
schema lacks, none it requires missing, formats and enums respected), the main operations
have them, and the request examples of the ticket and customer operations work when sent.

The contract test (test_contract.py) proves the schema describes the API; this proves the
examples describe the schema, so an example cannot drift from what the API answers.
"""

import copy
import json

import jsonschema
import pytest

from tenants.models import Role
from tests.openapi import generated_schema
from tests.tickets.recipes import customer_recipe, ticket_recipe

# The operations a reader starts with: each shows a request (writes) and a success response.
MAIN_OPERATIONS = [
    ("post", "/api/v1/auth/token/", "200"),
    ("get", "/api/v1/t/{tenant_slug}/tickets/", "200"),
    ("post", "/api/v1/t/{tenant_slug}/tickets/", "201"),
    ("get", "/api/v1/t/{tenant_slug}/tickets/{number}/", "200"),
    ("patch", "/api/v1/t/{tenant_slug}/tickets/{number}/", "200"),
    ("post", "/api/v1/t/{tenant_slug}/tickets/{number}/assign/", None),
    ("post", "/api/v1/t/{tenant_slug}/tickets/{number}/comments/", "201"),
    ("post", "/api/v1/t/{tenant_slug}/tickets/{number}/merge/", "200"),
    ("post", "/api/v1/t/{tenant_slug}/tickets/bulk/", "200"),
    ("post", "/api/v1/t/{tenant_slug}/customers/", "201"),
    ("post", "/api/v1/t/{tenant_slug}/webhooks/", "201"),
    ("post", "/api/v1/t/{tenant_slug}/kb/articles/", "201"),
    ("post", "/api/v1/help/{tenant_slug}/requests/", "202"),
]


@pytest.fixture(scope="module")
def spec():
    return generated_schema()


def _strict(node, direction):
    """An OpenAPI 3.0 schema as a strict JSON Schema for one direction: `nullable` as a
    null alternative, objects closed to unknown fields, and the fields of the other
    direction (readOnly in requests, writeOnly in responses) left out."""
    if isinstance(node, list):
        return [_strict(item, direction) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _strict(value, direction) for key, value in node.items()}
    if "properties" in node:
        hidden = "readOnly" if direction == "request" else "writeOnly"
        kept = {k: v for k, v in node["properties"].items() if not v.get(hidden)}
        node["properties"] = kept
        if "required" in node:
            node["required"] = [name for name in node["required"] if name in kept]
        node.setdefault("additionalProperties", False)
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


def _validator(spec, schema, direction):
    components = _strict(spec["components"], direction)
    root = {**_strict(schema, direction), "components": components}
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())


def _examples(spec):
    """(direction, method, path, status, name, value, validator) of every example."""
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            for name, example in body.get("examples", {}).items():
                yield "request", method, path, None, name, example["value"], body["schema"]
            for status, response in op.get("responses", {}).items():
                content = response.get("content", {}).get("application/json", {})
                for name, example in content.get("examples", {}).items():
                    yield (
                        "response",
                        method,
                        path,
                        status,
                        name,
                        example["value"],
                        content["schema"],
                    )


def test_every_example_matches_its_schema_strictly(spec):
    checked, wrong = 0, []
    for direction, method, path, status, name, value, schema in _examples(spec):
        errors = sorted(
            _validator(spec, schema, direction).iter_errors(value), key=lambda e: e.path
        )
        checked += 1
        if errors:
            wrong.append((method, path, status, name, [e.message[:120] for e in errors[:3]]))

    assert checked >= 25
    assert wrong == []


def test_the_strict_check_refuses_a_drifted_example(spec):
    # The check itself can fail: an unknown field, a missing required one, a wrong enum value.
    schema = {"$ref": "#/components/schemas/TicketOutput"}
    _, _, _, _, _, ticket, _ = next(
        e for e in _examples(spec) if e[1] == "get" and e[2].endswith("/tickets/{number}/")
    )
    validator = _validator(spec, schema, "response")
    assert list(validator.iter_errors(ticket)) == []

    drifted = [
        {**ticket, "assigned_to": "someone"},
        {k: v for k, v in ticket.items() if k != "version"},
        {**ticket, "requester": "not-a-uuid"},
        {**ticket, "sla": {**ticket["sla"], "breached": "no"}},
    ]
    assert all(list(validator.iter_errors(value)) for value in drifted)
    request = _validator(spec, {"$ref": "#/components/schemas/TicketCreateInputRequest"}, "request")
    assert list(request.iter_errors({"subject": "x", "priority": "urgent"}))
    assert list(request.iter_errors({"description": "no subject"}))


@pytest.mark.parametrize(("method", "path", "status"), MAIN_OPERATIONS)
def test_the_main_operations_show_examples(spec, method, path, status):
    op = spec["paths"][path][method]
    request = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    if method in ("post", "patch"):
        assert request.get("examples"), f"{method} {path} shows no request example"
    if status is not None:
        response = op["responses"][status]["content"]["application/json"]
        assert response.get("examples"), f"{method} {path} shows no {status} example"


# --- The request examples work --------------------------------------------------------------

# Operations whose request examples are sent as they are (ids and numbers mapped to this
# test's rows), with the status each must answer.
SENT = [
    ("post", "/api/v1/t/{tenant_slug}/tickets/", 201),
    ("patch", "/api/v1/t/{tenant_slug}/tickets/{number}/", 200),
    ("post", "/api/v1/t/{tenant_slug}/tickets/{number}/assign/", 200),
    ("post", "/api/v1/t/{tenant_slug}/tickets/{number}/comments/", 201),
    ("post", "/api/v1/t/{tenant_slug}/tickets/{number}/merge/", 200),
    ("post", "/api/v1/t/{tenant_slug}/tickets/bulk/", 200),
    ("post", "/api/v1/t/{tenant_slug}/customers/", 201),
]


def _replace(value, strings, numbers):
    if isinstance(value, dict):
        return {
            k: (numbers.get(v, v) if k == "into" else _replace(v, strings, numbers))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [numbers.get(v, v) if isinstance(v, int) else _replace(v, strings, numbers)
                for v in value]  # fmt: skip
    return strings.get(value, value) if isinstance(value, str) else value


@pytest.mark.parametrize(("method", "path", "expected"), SENT)
def test_the_request_examples_work_when_sent(
    spec, method, path, expected, tenant, member, api_client, in_tenant
):
    from tickets.api import examples

    admin = member(Role.ADMIN)
    agent = member(Role.AGENT, is_senior=True)
    with in_tenant(tenant):
        customer = customer_recipe.make(tenant=tenant, email="someone@example.org")
        tickets = {n: ticket_recipe.make(tenant=tenant, requester=customer) for n in range(8)}
    strings = {
        examples.REQUESTER["id"]: str(customer.public_id),
        examples.AGENT["id"]: str(agent.user.public_id),
    }
    example_numbers = (42, 43, 44, 17, 18, 19)
    numbers = {n: tickets[i].number for i, n in enumerate(example_numbers)}
    client = api_client(admin)
    body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]

    for name, example in body["examples"].items():
        data = _replace(copy.deepcopy(example["value"]), strings, numbers)
        url = path.replace("{tenant_slug}", tenant.slug).replace(
            "{number}", str(tickets[6 if "merge" in path else 0].number)
        )
        response = getattr(client, method)(url, json.dumps(data), content_type="application/json")
        assert response.status_code == expected, (name, response.json())
        if "customers" in path:  # the same email twice is a conflict, by design
            break
