"""Races of the integrations routes (test_write_routes.py's HARNESS): a webhook endpoint
changed, pinged or deleted while it is deleted, two creations, two rotations of its secret, two
redeliveries of one delivery; the CRM connection changed or deleted while it is deleted, two
creations of the tenant's one connection, two redeliveries of one sync."""

from integrations import services
from integrations.models import CrmConnection, CrmSync, WebhookDelivery, WebhookEndpoint
from tenants.models import AuditLogEntry
from tenants.tasks_base import _BrokerBreaker
from tests.integrations.recipes import crm_sync_recipe, webhook_delivery_recipe
from tests.races.race_harness import Harness, Race, exactly_one

URL = "https://hooks.example.com/race"


def _endpoint(h: Harness) -> WebhookEndpoint:
    """A new endpoint, made through the service (which checks its URL like the API does)."""
    return h.within(
        lambda: services.webhook_endpoint_create(
            tenant=h.tenant, actor=h.actor, url=URL, events=["*"]
        )
    )


def _no_orphan_deliveries(h: Harness) -> None:
    def orphans():
        endpoints = WebhookEndpoint.objects.values("pk")
        return WebhookDelivery.objects.exclude(endpoint__in=endpoints).count()

    assert h.within(orphans) == 0


def _webhook_create(h: Harness) -> Race:
    """Two creations at once (endpoints may share a URL): two endpoints, two secrets."""
    before = h.within(lambda: WebhookEndpoint.objects.count())
    url = f"{h.base}/webhooks/"
    body = {"url": URL, "events": ["ticket.created"]}

    def check(write, competitor):
        secrets = h.within(lambda: [e.secret for e in WebhookEndpoint.objects.all()])
        assert len(secrets) == before + 2
        assert len(set(secrets)) == len(secrets)

    return Race(write=h.send("POST", url, body), competitor=h.send("POST", url, body), check=check)


def _webhook_patch(h: Harness) -> Race:
    """A PATCH while the endpoint is deleted: 200 before, 404 after; never resurrected."""
    endpoint = _endpoint(h)
    url = f"{h.base}/webhooks/{endpoint.public_id}/"

    def check(write, competitor):
        assert not h.within(lambda: WebhookEndpoint.objects.filter(pk=endpoint.pk).exists())

    return Race(
        write=h.send("PATCH", url, {"description": "changed", "active": False}),
        competitor=h.delete(url),
        check=check,
    )


def _webhook_delete(h: Harness) -> Race:
    """Two DELETEs of one endpoint: exactly one 204, one audit entry."""
    endpoint = _endpoint(h)
    url = f"{h.base}/webhooks/{endpoint.public_id}/"

    def check(write, competitor):
        exactly_one(204)(write, competitor)
        deleted = h.within(
            lambda: AuditLogEntry.objects.filter(
                action="webhook.deleted", target_id=str(endpoint.public_id)
            ).count()
        )
        assert deleted == 1

    return Race(write=h.delete(url), competitor=h.delete(url), check=check)


def _webhook_rotate(h: Harness) -> Race:
    """Two rotations at once: both succeed; the last one's secret is current and the other's
    is the previous one (still valid 24 h), the one the endpoint had before is gone."""
    endpoint = _endpoint(h)
    url = f"{h.base}/webhooks/{endpoint.public_id}/rotate-secret/"
    answers = []
    client_a, client_b = h.client(), h.client()

    def rotate(client):
        def call():
            answers.append(client.post(url))
            return answers[-1]

        return call

    def check(write, competitor):
        shown = {answer.json()["secret"] for answer in answers[-2:]}
        stored = h.within(lambda: WebhookEndpoint.objects.get(pk=endpoint.pk))
        assert {stored.secret, stored.previous_secret} == shown
        assert endpoint.secret not in shown | {stored.secret, stored.previous_secret}
        assert stored.version == endpoint.version + 2

    return Race(write=rotate(client_a), competitor=rotate(client_b), check=check)


def _webhook_ping(h: Harness) -> Race:
    """A ping while the endpoint is deleted: 202 before (its delivery goes with it), 404
    after; never a delivery without its endpoint."""
    _BrokerBreaker.trip()  # the broker is down: the ping waits for the sweep, nothing is sent
    endpoint = _endpoint(h)
    url = f"{h.base}/webhooks/{endpoint.public_id}/"

    def check(write, competitor):
        _no_orphan_deliveries(h)

    return Race(write=h.send("POST", f"{url}ping/"), competitor=h.delete(url), check=check)


def _webhook_redeliver(h: Harness) -> Race:
    """Two redelivers of one dead delivery: one puts it back in line, the other is a 409."""
    # The broker is down: the redelivered row stays pending (the sweep would send it), so a
    # second redeliver is a 409 whether it came during or after the first.
    _BrokerBreaker.trip()
    endpoint = _endpoint(h)
    row = h.within(
        lambda: webhook_delivery_recipe.make(
            tenant=h.tenant, endpoint=endpoint, status="dead", attempts=10
        )
    )
    url = f"{h.base}/webhook-deliveries/{row.public_id}/redeliver/"

    def check(write, competitor):
        exactly_one(202)(write, competitor)
        audited = h.within(
            lambda: AuditLogEntry.objects.filter(
                action="webhook_delivery.redelivered", target_id=str(row.public_id)
            ).count()
        )
        assert audited == 1
        assert h.within(lambda: WebhookDelivery.objects.get(pk=row.pk).status) == "pending"

    return Race(write=h.send("POST", url), competitor=h.send("POST", url), check=check)


# --- CRM --------------------------------------------------------------------------------------

CRM_BODY = {"provider": "hubspot", "credentials": {"access_token": "pat-na1-race"}}


def _crm_connection(h: Harness) -> CrmConnection:
    """The tenant's one connection, new (the previous round's removed), made through the
    service (which checks it like the API does)."""

    def make():
        CrmConnection.objects.all().delete()
        return services.crm_connection_create(
            tenant=h.tenant, actor=h.actor, provider="hubspot", credentials={"access_token": "t"}
        )

    return h.within(make)


def _no_orphan_syncs(h: Harness) -> None:
    def orphans():
        return CrmSync.objects.exclude(connection__in=CrmConnection.objects.values("pk")).count()

    assert h.within(orphans) == 0


def _crm_create(h: Harness) -> Race:
    """Two creations of the tenant's one connection at once: one 201, one 409, one row."""
    h.within(lambda: CrmConnection.objects.all().delete())
    url = f"{h.base}/crm-connections/"

    def check(write, competitor):
        exactly_one(201)(write, competitor)
        assert h.within(lambda: CrmConnection.objects.count()) == 1

    return Race(
        write=h.send("POST", url, CRM_BODY), competitor=h.send("POST", url, CRM_BODY), check=check
    )


def _crm_patch(h: Harness) -> Race:
    """A PATCH (new credentials) while the connection is deleted: 200 before, 404 after;
    never resurrected, no sync left without it."""
    connection = _crm_connection(h)
    h.within(lambda: crm_sync_recipe.make(tenant=h.tenant, connection=connection))
    url = f"{h.base}/crm-connections/{connection.public_id}/"

    def check(write, competitor):
        assert not h.within(lambda: CrmConnection.objects.filter(pk=connection.pk).exists())
        _no_orphan_syncs(h)

    return Race(
        write=h.send("PATCH", url, {"enabled": False, "credentials": {"access_token": "new"}}),
        competitor=h.delete(url),
        check=check,
    )


def _crm_delete(h: Harness) -> Race:
    """Two DELETEs of the connection: exactly one 204, one audit entry."""
    connection = _crm_connection(h)
    url = f"{h.base}/crm-connections/{connection.public_id}/"

    def check(write, competitor):
        exactly_one(204)(write, competitor)
        deleted = h.within(
            lambda: AuditLogEntry.objects.filter(
                action="crm_connection.deleted", target_id=str(connection.public_id)
            ).count()
        )
        assert deleted == 1

    return Race(write=h.delete(url), competitor=h.delete(url), check=check)


def _crm_redeliver(h: Harness) -> Race:
    """Two redelivers of one dead sync: one puts it back in line, the other is a 409."""
    _BrokerBreaker.trip()  # the row stays pending (as for webhook redelivery)
    connection = _crm_connection(h)
    row = h.within(
        lambda: crm_sync_recipe.make(
            tenant=h.tenant, connection=connection, status="dead", attempts=8
        )
    )
    url = f"{h.base}/crm-syncs/{row.public_id}/redeliver/"

    def check(write, competitor):
        exactly_one(202)(write, competitor)
        audited = h.within(
            lambda: AuditLogEntry.objects.filter(
                action="crm_sync.redelivered", target_id=str(row.public_id)
            ).count()
        )
        assert audited == 1
        assert h.within(lambda: CrmSync.objects.get(pk=row.pk).status) == "pending"

    return Race(write=h.send("POST", url), competitor=h.send("POST", url), check=check)
