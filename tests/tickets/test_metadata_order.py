"""What a write answers reads exactly like a later read: metadata comes back in jsonb's key
order (shorter keys first, then by bytes), in the create and change answers as in a GET."""

import json

import pytest

from tenants.models import Role
from tests.tickets.recipes import customer_recipe
from tickets.validation import jsonb_ordered

METADATA = {"zeta": 1, "a": 2, "mm": {"yy": 1, "b": [{"ü": 1, "z": 2}]}, "é": 3, "ab": 0}


def test_jsonb_order_of_keys():
    assert list(jsonb_ordered(METADATA)) == ["a", "ab", "mm", "é", "zeta"]  # "é" is 2 bytes
    assert list(jsonb_ordered(METADATA)["mm"]) == ["b", "yy"]
    assert list(jsonb_ordered(METADATA)["mm"]["b"][0]) == ["z", "ü"]


@pytest.mark.parametrize("resource", ["tickets", "customers"])
def test_the_answer_to_a_write_equals_the_next_read(
    resource, tenant, member, api_client, in_tenant
):
    client = api_client(member(Role.AGENT))
    base = f"/api/v1/t/{tenant.slug}/{resource}/"
    with in_tenant(tenant):
        customer = customer_recipe.make(tenant=tenant)
    body = (
        {"subject": "Order", "requester": str(customer.public_id), "metadata": METADATA}
        if resource == "tickets"
        else {"email": "order@example.test", "metadata": METADATA}
    )

    created = client.post(base, json.dumps(body), content_type="application/json")
    key = created.json()["number" if resource == "tickets" else "id"]
    read = client.get(f"{base}{key}/")
    changed = client.patch(
        f"{base}{key}/",
        json.dumps({"metadata": {**METADATA, "b": 1}}),
        content_type="application/json",
        HTTP_IF_MATCH=read["ETag"],
    )
    read_again = client.get(f"{base}{key}/")

    assert created.status_code == 201 and changed.status_code == 200
    # Byte for byte, but for the SLA's remaining minutes (time passes between the two).
    strip = lambda body: {k: v for k, v in body.items() if k != "sla"}  # noqa: E731
    assert json.dumps(strip(created.json())) == json.dumps(strip(read.json()))
    assert json.dumps(changed.json()["metadata"]) == json.dumps(read_again.json()["metadata"])
    assert list(read_again.json()["metadata"]) == ["a", "b", "ab", "mm", "é", "zeta"]
