"""Item 8: an upload racing a delete of its ticket is a 404 and leaves no file behind; a
committed delete removes the files of its ticket."""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tenants.context import tenant_context
from tests.concurrency import held, in_background, wait_until_blocked
from tests.races.conftest import outcome
from tickets import services
from tickets.models import Attachment

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "owner"])


def stored_files(root) -> list[str]:
    """Every file under the storage root, relative to it."""
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, names in os.walk(root)
        for name in names
    )


def test_an_upload_waiting_on_its_ticket_delete_is_404_and_stores_nothing(
    tenant, admin, api_client, build, settings
):
    world = build(attachment=True)
    client = api_client(admin)
    url = f"/api/v1/t/{tenant.slug}/tickets/{world.ticket.number}/attachments/"

    def delete():
        with tenant_context(tenant):
            services.ticket_delete(tenant=tenant, actor=world.actor, ticket=world.ticket)

    def upload():
        file = SimpleUploadedFile("late.txt", b"late bytes", "text/plain")
        return client.post(url, {"file": file}, format="multipart")

    with held(delete):
        uploading = in_background(upload)
        wait_until_blocked(uploading)

    assert outcome(uploading.result()) == (404, "not_found")
    with tenant_context(tenant):
        assert not Attachment.objects.exists()
    # Neither the late upload's bytes nor the deleted ticket's file are left in storage.
    assert stored_files(settings.MEDIA_ROOT) == []
