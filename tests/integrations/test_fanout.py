"""Events become webhook deliveries in the publishing transaction: one per active endpoint of
the event's tenant that takes its type, internal events only where include_internal."""

import json

import pytest

from integrations.models import WebhookDelivery
from integrations.webhooks import fanout
from tenants.access import Actor
from tenants.context import tenant_context
from tests.integrations.recipes import webhook_endpoint_recipe
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoints(tenant, other_tenant):
    with tenant_context(tenant):
        made = {
            "tickets": webhook_endpoint_recipe.make(tenant=tenant, events=["ticket.created"]),
            "everything": webhook_endpoint_recipe.make(tenant=tenant, events=["*"]),
            "comments": webhook_endpoint_recipe.make(tenant=tenant, events=["comment.created"]),
            "comments+internal": webhook_endpoint_recipe.make(
                tenant=tenant, events=["comment.created"], include_internal=True
            ),
            "switched-off": webhook_endpoint_recipe.make(
                tenant=tenant, events=["*"], include_internal=True, active=False
            ),
        }
    with tenant_context(other_tenant):
        made["other tenant"] = webhook_endpoint_recipe.make(
            tenant=other_tenant, events=["*"], include_internal=True
        )
    return made


def _received(tenant, endpoints, event_type) -> list[str]:
    names = {endpoint.pk: name for name, endpoint in endpoints.items()}
    with tenant_context(tenant):
        rows = WebhookDelivery.objects.filter(event_type=event_type)
        return sorted(names[endpoint_id] for endpoint_id in rows.values_list("endpoint", flat=True))


def _ticket(tenant):
    with tenant_context(tenant):
        return ticket_services.ticket_create(
            tenant=tenant, actor=Actor(), subject="Printer", customer_email="a@example.test"
        )


def test_an_event_reaches_the_endpoints_that_take_its_type_in_its_tenant_only(
    tenant, other_tenant, endpoints, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(fanout, "outbox_enqueue_on_commit", queued.append)

    with django_capture_on_commit_callbacks(execute=False):
        ticket = _ticket(tenant)

    assert _received(tenant, endpoints, "ticket.created") == ["everything", "tickets"]
    assert _received(other_tenant, endpoints, "ticket.created") == []
    with tenant_context(tenant):
        delivery = WebhookDelivery.objects.get(
            event_type="ticket.created", endpoint=endpoints["tickets"]
        )
    assert (delivery.status, delivery.ticket_number) == ("pending", ticket.number)
    body = json.loads(delivery.body)
    assert (body["type"], body["data"]["number"]) == ("ticket.created", ticket.number)
    assert body["data"]["event"]["id"] == str(delivery.event_id)
    # Every delivery written is queued for after the commit (the customer.created of the new
    # requester goes to "everything" too).
    with tenant_context(tenant):
        assert sorted(row.pk for row in queued) == sorted(
            WebhookDelivery.objects.values_list("pk", flat=True)
        )


def test_an_internal_note_reaches_only_endpoints_that_include_internal_events(
    tenant, endpoints, django_capture_on_commit_callbacks
):
    ticket = _ticket(tenant)

    with django_capture_on_commit_callbacks(execute=False):
        with tenant_context(tenant):
            ticket_services.comment_create(
                tenant=tenant, actor=Actor(), ticket=ticket, body="internal", public=False
            )

    assert _received(tenant, endpoints, "comment.created") == ["comments+internal"]


def test_a_public_reply_reaches_every_endpoint_that_takes_comments(
    tenant, endpoints, django_capture_on_commit_callbacks
):
    ticket = _ticket(tenant)

    with django_capture_on_commit_callbacks(execute=False):
        with tenant_context(tenant):
            ticket_services.comment_create(
                tenant=tenant, actor=Actor(), ticket=ticket, body="reply", public=True
            )

    assert _received(tenant, endpoints, "comment.created") == [
        "comments",
        "comments+internal",
        "everything",
    ]


def test_the_fanout_runs_only_in_its_events_tenant_context(tenant, other_tenant, endpoints):
    # Its endpoint query is plain SQL: it fails closed like the tenant manager it replaced.
    from django.utils import timezone

    from tenants.context import TenantContextMissing
    from tenants.events import Envelope

    envelope = Envelope(
        id="0192f0c0-0000-7000-8000-000000000001",
        type="ticket.created",
        tenant_id=tenant.pk,
        tenant=tenant.slug,
        occurred_at=timezone.now(),
        actor={"type": "system", "id": None},
        visibility="public",
        version=1,
        data={"number": 1},
        event=None,
    )

    with pytest.raises(TenantContextMissing):
        fanout.webhook_fanout(envelope)
    with tenant_context(other_tenant), pytest.raises(ValueError, match="context"):
        fanout.webhook_fanout(envelope)
    with tenant_context(tenant):
        fanout.webhook_fanout(envelope)
        assert WebhookDelivery.objects.count() == 2  # "tickets" and "everything"
