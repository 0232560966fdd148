"""Attachments: upload, list, metadata and download; who may do it."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tickets.attachment_helpers import (
    KEY_RE,
    PDF,
    PNG,
    detail_url,
    download,
    list_url,
    make_attachment,
    rows,
    stored_files,
    upload,
)
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.models import TicketEvent

pytestmark = pytest.mark.usefixtures("media")


# --- upload, list, metadata, download ---------------------------------------------------------


def test_upload_list_and_download_round_trip(agent_client, agent, tenant, ticket, media):
    # given
    content = PNG + bytes(range(256)) * 40

    # when
    created = upload(agent_client, tenant, ticket.number, "screen shot.png", content, "image/png")
    listed = agent_client.get(list_url(tenant, ticket.number))
    meta = agent_client.get(detail_url(tenant, ticket.number, created.json()["id"]))
    response, body = download(agent_client, created.json()["download_url"])

    # then
    assert created.status_code == 201, created.content
    attachment = created.json()
    assert attachment["filename"] == "screen shot.png"
    assert attachment["content_type"] == "image/png"
    assert attachment["size"] == len(content)
    assert attachment["sha256"] == hashlib.sha256(content).hexdigest()
    assert attachment["uploaded_by"] == str(agent.user.public_id)
    assert attachment["comment"] is None
    assert attachment["download_url"] == (
        f"{detail_url(tenant, ticket.number, attachment['id'])}download/"
    )
    assert listed.status_code == 200
    assert listed.json()["results"] == [attachment]
    assert (meta.status_code, meta.json()) == (200, attachment)
    assert response.status_code == 200
    assert body == content
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="screen shot.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert len(stored_files(media)) == 1


def test_upload_stores_under_the_tenant_prefix_with_size_and_hash(
    agent_client, tenant, ticket, media
):
    response = upload(agent_client, tenant, ticket.number, "report.pdf", PDF, "application/pdf")

    assert response.status_code == 201, response.content
    [(number, filename, content_type, size, key)] = rows(tenant)
    match = KEY_RE.match(key)
    assert match is not None, key
    assert (match["tenant"], match["name"]) == (str(tenant.pk), "report.pdf")
    assert (number, filename, content_type, size) == (
        ticket.number,
        "report.pdf",
        "application/pdf",
        len(PDF),
    )
    assert stored_files(media) == {key}
    assert (media / key).read_bytes() == PDF


def test_two_uploads_of_the_same_name_get_different_keys(agent_client, tenant, ticket):
    first = upload(agent_client, tenant, ticket.number, "same.txt", b"one")
    second = upload(agent_client, tenant, ticket.number, "same.txt", b"two")

    assert (first.status_code, second.status_code) == (201, 201)
    keys = [row[4] for row in rows(tenant)]
    assert len(set(keys)) == 2


def test_large_upload_spooled_to_disk_round_trips(agent_client, tenant, ticket, media):
    # Above FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB) Django hands over a temporary file instead.
    content = b"0123456789abcdef\n" * (3 * 1024 * 1024 // 17)

    created = upload(agent_client, tenant, ticket.number, "big.log", content)
    response, body = download(agent_client, created.json()["download_url"])

    assert created.status_code == 201, created.content
    assert created.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert response["Content-Length"] == str(len(content))
    assert body == content
    assert len(stored_files(media)) == 1


def test_list_costs_the_same_queries_for_one_and_many(agent_client, tenant, ticket):
    with tenant_context(tenant):
        comment = services.comment_create(tenant=tenant, actor=Actor(), ticket=ticket, body="x")
    upload(agent_client, tenant, ticket.number)

    with CaptureQueriesContext(connection) as one:
        first = agent_client.get(list_url(tenant, ticket.number))
    for index in range(5):
        file = SimpleUploadedFile(f"{index}.txt", b"hi", content_type="text/plain")
        agent_client.post(
            list_url(tenant, ticket.number),
            {"file": file, "comment": str(comment.public_id)},
            format="multipart",
        )
    with CaptureQueriesContext(connection) as many:
        six = agent_client.get(list_url(tenant, ticket.number))

    assert (len(first.json()["results"]), len(six.json()["results"])) == (1, 6)
    assert len(one.captured_queries) == len(many.captured_queries)


def test_idempotent_retry_of_an_upload_stores_one_file(agent_client, tenant, ticket, media):
    def send(content):
        file = SimpleUploadedFile("a.txt", content, content_type="text/plain")
        return agent_client.post(
            list_url(tenant, ticket.number),
            {"file": file},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first = send(b"same bytes")
    retry = send(b"same bytes")
    other = send(b"other bytes")

    assert (first.status_code, retry.status_code, other.status_code) == (201, 201, 422)
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert len(rows(tenant)) == len(stored_files(media)) == 1


def test_non_ascii_name_is_sent_as_rfc_5987(agent_client, tenant, ticket):
    created = upload(agent_client, tenant, ticket.number, "résumé.txt", b"cv")

    response, body = download(agent_client, created.json()["download_url"])

    assert created.json()["filename"] == "résumé.txt"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt"
    assert body == b"cv"


def test_upload_adds_a_history_row(agent_client, agent, tenant, ticket):
    response = upload(agent_client, tenant, ticket.number, "log.txt", b"trace")

    with tenant_context(tenant):
        history = list(
            TicketEvent.objects.filter(ticket=ticket, field="attachment").values_list(
                "actor_label", "old_value", "new_value"
            )
        )
    assert history == [
        (agent.user.email, None, {"id": response.json()["id"], "filename": "log.txt"})
    ]


def test_list_is_empty_for_a_ticket_without_attachments(agent_client, tenant, ticket):
    other = make_ticket(tenant, subject="Other")
    make_attachment(tenant, other)

    response = agent_client.get(list_url(tenant, ticket.number))

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_unknown_ticket_number_is_404(agent_client, tenant, ticket, media):
    listed = agent_client.get(list_url(tenant, 999_999))
    created = upload(agent_client, tenant, 999_999)

    assert (listed.status_code, created.status_code) == (404, 404)
    assert stored_files(media) == set()


def test_attachment_is_reachable_only_under_its_own_ticket(agent_client, tenant, ticket):
    other = make_ticket(tenant, subject="Other")
    attachment = make_attachment(tenant, other)

    url = detail_url(tenant, ticket.number, attachment.public_id)
    meta = agent_client.get(url)
    response, _ = download(agent_client, f"{url}download/")
    deleted = agent_client.delete(url)

    assert (meta.status_code, response.status_code, deleted.status_code) == (404, 404, 404)
    assert len(rows(tenant)) == 1


def test_download_of_a_file_missing_from_storage_is_404(agent_client, tenant, ticket, media):
    attachment = make_attachment(tenant, ticket)
    (media / attachment.storage_key).unlink()

    response, _ = download(
        agent_client, f"{detail_url(tenant, ticket.number, attachment.public_id)}download/"
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


# --- roles ------------------------------------------------------------------------------------


def test_viewer_may_list_and_download(api_client, member, tenant, ticket):
    attachment = make_attachment(tenant, ticket, content=b"for your eyes")
    client = api_client(member(Role.VIEWER))
    url = detail_url(tenant, ticket.number, attachment.public_id)

    listed = client.get(list_url(tenant, ticket.number))
    meta = client.get(url)
    response, body = download(client, f"{url}download/")

    assert (listed.status_code, meta.status_code, response.status_code) == (200, 200, 200)
    assert body == b"for your eyes"


def test_viewer_may_not_upload_or_delete(api_client, member, tenant, ticket, media):
    attachment = make_attachment(tenant, ticket)
    client = api_client(member(Role.VIEWER))
    before = stored_files(media)

    created = upload(client, tenant, ticket.number, "a.txt", b"nope")
    deleted = client.delete(detail_url(tenant, ticket.number, attachment.public_id))

    assert (created.status_code, deleted.status_code) == (403, 403)
    assert len(rows(tenant)) == 1
    assert stored_files(media) == before


def test_viewer_api_key_may_download_but_not_upload(api_key_client, tenant, ticket):
    attachment = make_attachment(tenant, ticket, content=b"key")
    client, _ = api_key_client(tenant, Role.VIEWER)

    response, body = download(
        client, f"{detail_url(tenant, ticket.number, attachment.public_id)}download/"
    )
    created = upload(client, tenant, ticket.number)

    assert (response.status_code, body) == (200, b"key")
    assert created.status_code == 403


def test_anonymous_is_401_and_non_member_404(
    anon_client, api_client, member, tenant, other_tenant, ticket
):
    attachment = make_attachment(tenant, ticket)
    outsider = api_client(member(Role.OWNER, tenant=other_tenant))
    url = f"{detail_url(tenant, ticket.number, attachment.public_id)}download/"

    assert anon_client.get(url).status_code == 401
    assert outsider.get(url).status_code == 404
