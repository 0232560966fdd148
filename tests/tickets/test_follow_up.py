"""A ticket may follow up a closed one (inbound email opens such tickets): the link is the
other ticket's number, set only by the service, and only to a ticket of the same tenant."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from tenants.access import SYSTEM
from tenants.context import tenant_context
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db


def test_a_follow_up_names_the_ticket_it_follows(tenant):
    closed = make_ticket(tenant, status="closed")

    follow_up = make_ticket(tenant, follow_up_of=closed)

    assert (follow_up.follow_up_of, closed.follow_up_of) == (closed.number, None)


@pytest.mark.parametrize("bad", ["1", 1, object()], ids=["string", "number", "object"])
def test_follow_up_of_must_be_a_ticket(tenant, bad):
    with pytest.raises(ValidationError) as error, tenant_context(tenant):
        services.ticket_create(
            tenant=tenant,
            actor=SYSTEM,
            subject="x",
            customer_email="a@example.test",
            follow_up_of=bad,
        )

    assert list(error.value.message_dict) == ["follow_up_of"]


def test_follow_up_of_another_tenants_ticket_is_refused(tenant, other_tenant):
    theirs = make_ticket(other_tenant, status="closed")

    with pytest.raises(ValidationError) as error, tenant_context(tenant):
        services.ticket_create(
            tenant=tenant,
            actor=SYSTEM,
            subject="x",
            customer_email="a@example.test",
            follow_up_of=theirs,
        )

    assert list(error.value.message_dict) == ["follow_up_of"]
    with tenant_context(tenant):
        assert not Ticket.objects.exists()


def test_the_api_cannot_set_follow_up_of(tenant, member, api_client):
    closed = make_ticket(tenant, status="closed")
    client = api_client(member("agent"))

    response = client.post(
        f"/api/v1/t/{tenant.slug}/tickets/",
        {"subject": "x", "customer_email": "a@example.test", "follow_up_of": closed.number},
        format="json",
    )

    assert response.status_code == 400
    assert "follow_up_of" in response.json()["errors"]


def test_from_customer_must_be_a_boolean(tenant, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    ticket = make_ticket(tenant)

    with pytest.raises(ValidationError) as error, tenant_context(tenant):
        services.attachment_create(
            tenant=tenant,
            actor=SYSTEM,
            ticket=ticket,
            file=ContentFile(b"x"),
            filename="a.txt",
            content_type="text/plain",
            from_customer="yes",
        )

    assert list(error.value.message_dict) == ["from_customer"]
    with tenant_context(tenant):
        assert not Attachment.objects.exists()
