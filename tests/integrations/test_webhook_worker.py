"""A webhook through a real Celery worker on the real Redis broker to a real local HTTP
receiver: a ticket created over the API commits its delivery row, the row's task is published
on commit, the worker signs and posts the event, and the receiver verifies it with the
reference standardwebhooks library."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.webhooks.signing import secret_generate
from tenants.context import tenant_context
from tenants.models import Role
from tests.test_celery_integration import _wait_for, real_worker  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, databases=["default", "owner"]),
]


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True  # a local receiver, as in development
    settings.OUTBOUND_ALLOW_HTTP = True
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()
    server.server_close()


def test_a_ticket_reaches_a_local_receiver_through_a_real_worker(
    real_worker,  # noqa: F811
    receiver,
    tenant,
    member,
    api_client,
):
    secret = secret_generate()
    with tenant_context(tenant):
        endpoint = WebhookEndpoint.objects.create(
            tenant=tenant, url=receiver, events=["ticket.created"], secret=secret
        )

    response = api_client(member(Role.AGENT)).post(
        f"/api/v1/t/{tenant.slug}/tickets/",
        {"subject": "Printer on fire", "customer_email": "ann@example.test"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert _wait_for(lambda: len(_Receiver.received) == 1), "the receiver got nothing"
    headers, body = _Receiver.received[0]
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "ticket.created"
    assert payload["data"]["number"] == response.json()["number"]
    assert json.loads(body) == payload

    def sent():
        with tenant_context(tenant):
            return WebhookDelivery.objects.get(endpoint=endpoint).status == "sent"

    assert _wait_for(sent), "the delivery was not recorded as sent"
