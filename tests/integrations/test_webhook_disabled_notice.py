"""When Tenantdesk switches a webhook endpoint off (410 Gone, or failing for too long), the
tenant's admins and owners are told — in the app and by email — and nobody else."""

import pytest
import responses

from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.tasks import webhook_delivery_send_task
from integrations.webhooks.signing import secret_generate
from notifications.models import Notification
from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.helpers import make_ticket

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/in?token=s3cr3t"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _gone_endpoint(tenant):
    with tenant_context(tenant):
        return WebhookEndpoint.objects.create(
            tenant=tenant, url=URL, events=["ticket.created"], secret=secret_generate()
        )


def test_admins_and_owners_hear_that_an_endpoint_was_switched_off(
    tenant, member, mailoutbox, committed
):
    told = [member(Role.ADMIN), member(Role.OWNER)]
    not_told = [member(Role.SUPERVISOR), member(Role.AGENT), member(Role.ADMIN, is_active=False)]
    endpoint = _gone_endpoint(tenant)
    make_ticket(tenant)
    with tenant_context(tenant):
        row = WebhookDelivery.objects.get(endpoint=endpoint)
    mailoutbox.clear()

    with responses.RequestsMock() as receiver, committed():
        receiver.post(URL, status=410)
        webhook_delivery_send_task(tenant_id=tenant.pk, row_id=row.pk)

    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.user.email for m in told)
    email = mailoutbox[0]
    assert email.subject == "Webhook endpoint disabled: hooks.example.com"
    assert "410 Gone" in email.body
    assert "s3cr3t" not in email.body  # the URL's path and query may carry a token
    with tenant_context(tenant):
        notified = set(
            Notification.objects.filter(kind="webhook_disabled").values_list("user_id", flat=True)
        )
    assert notified == {m.user_id for m in told}
    assert not notified & {m.user_id for m in not_told}


def test_a_failure_that_does_not_disable_tells_no_one(tenant, member, mailoutbox, committed):
    member(Role.ADMIN)
    endpoint = _gone_endpoint(tenant)
    make_ticket(tenant)
    with tenant_context(tenant):
        row = WebhookDelivery.objects.get(endpoint=endpoint)
    mailoutbox.clear()

    with responses.RequestsMock() as receiver, committed():
        receiver.post(URL, status=500)
        webhook_delivery_send_task(tenant_id=tenant.pk, row_id=row.pk)

    assert mailoutbox == []
    with tenant_context(tenant):
        assert not Notification.objects.filter(kind="webhook_disabled").exists()
