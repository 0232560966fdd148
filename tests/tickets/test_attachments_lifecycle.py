"""Attachments on comments, deletion with their files, and other tenants' attachments."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.errors import field_errors
from tests.tickets.attachment_helpers import (
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
from tickets.services.attachments import attachment_create

pytestmark = pytest.mark.usefixtures("media")


# --- comments ---------------------------------------------------------------------------------


def test_upload_on_a_comment_of_the_ticket(agent_client, tenant, ticket):
    with tenant_context(tenant):
        comment = services.comment_create(tenant=tenant, actor=Actor(), ticket=ticket, body="See")
    file = SimpleUploadedFile("a.txt", b"hi", content_type="text/plain")

    response = agent_client.post(
        list_url(tenant, ticket.number),
        {"file": file, "comment": str(comment.public_id)},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    assert response.json()["comment"] == str(comment.public_id)


def test_comment_of_another_ticket_is_400(agent_client, tenant, ticket, media):
    other = make_ticket(tenant, subject="Other")
    with tenant_context(tenant):
        comment = services.comment_create(tenant=tenant, actor=Actor(), ticket=other, body="No")
    file = SimpleUploadedFile("a.txt", b"hi", content_type="text/plain")

    response = agent_client.post(
        list_url(tenant, ticket.number),
        {"file": file, "comment": str(comment.public_id)},
        format="multipart",
    )

    assert response.status_code == 400
    assert list(field_errors(response)) == ["comment"]
    assert rows(tenant) == []
    assert stored_files(media) == set()


@pytest.mark.parametrize(
    "comment_id",
    [
        pytest.param("foreign", id="another-tenants-comment"),
        pytest.param("00000000-0000-0000-0000-000000000000", id="unknown"),
        pytest.param("not-a-uuid", id="malformed"),
    ],
)
def test_comment_outside_the_tenant_is_400(
    agent_client, tenant, other_tenant, ticket, media, comment_id
):
    foreign_ticket = make_ticket(other_tenant)
    with tenant_context(other_tenant):
        foreign = services.comment_create(
            tenant=other_tenant, actor=Actor(), ticket=foreign_ticket, body="Theirs"
        )
    comment_id = str(foreign.public_id) if comment_id == "foreign" else comment_id
    file = SimpleUploadedFile("a.txt", b"hi", content_type="text/plain")

    response = agent_client.post(
        list_url(tenant, ticket.number), {"file": file, "comment": comment_id}, format="multipart"
    )

    assert response.status_code == 400
    assert list(field_errors(response)) == ["comment"]
    assert stored_files(media) == set()


def test_service_refuses_a_comment_of_another_ticket(tenant, ticket, media):
    other = make_ticket(tenant, subject="Other")
    with tenant_context(tenant):
        comment = services.comment_create(tenant=tenant, actor=Actor(), ticket=other, body="No")
        with pytest.raises(ValidationError) as excinfo:
            attachment_create(
                tenant=tenant,
                actor=Actor(),
                ticket=ticket,
                file=ContentFile(b"hi", name="a.txt"),
                filename="a.txt",
                content_type="text/plain",
                comment=comment,
            )

    assert excinfo.value.message_dict == {"comment": ["No comment of this ticket has this id."]}
    assert stored_files(media) == set()


# --- deletion ---------------------------------------------------------------------------------


def test_delete_removes_row_and_file_on_commit(
    agent_client, agent, tenant, ticket, media, django_capture_on_commit_callbacks
):
    attachment = make_attachment(tenant, ticket)

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.delete(detail_url(tenant, ticket.number, attachment.public_id))

    assert response.status_code == 204
    assert rows(tenant) == []
    assert stored_files(media) == set()
    with tenant_context(tenant):
        last = TicketEvent.objects.filter(field="attachment").latest("id")
    assert (last.actor_label, last.old_value, last.new_value) == (
        agent.user.email,
        {"id": str(attachment.public_id), "filename": "notes.txt"},
        None,
    )


def test_file_stays_until_the_delete_commits(
    agent_client, tenant, ticket, media, django_capture_on_commit_callbacks
):
    attachment = make_attachment(tenant, ticket)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = agent_client.delete(detail_url(tenant, ticket.number, attachment.public_id))

    assert response.status_code == 204
    assert len(callbacks) == 1
    assert stored_files(media) == {attachment.storage_key}


def test_deleting_the_ticket_removes_its_files(
    tenant, ticket, media, django_capture_on_commit_callbacks
):
    first = make_attachment(tenant, ticket, name="one.txt")
    second = make_attachment(tenant, ticket, content=PNG, name="two.png", content_type="image/png")
    other = make_attachment(tenant, make_ticket(tenant, subject="Keep"), name="keep.txt")

    with django_capture_on_commit_callbacks(execute=True):
        with tenant_context(tenant):
            services.ticket_delete(tenant=tenant, actor=Actor(), ticket=ticket)

    assert {first.storage_key, second.storage_key} & stored_files(media) == set()
    assert stored_files(media) == {other.storage_key}
    assert [row[1] for row in rows(tenant)] == ["keep.txt"]


def test_deleting_the_ticket_through_the_api_removes_its_files(
    api_client, member, tenant, ticket, media, django_capture_on_commit_callbacks
):
    make_attachment(tenant, ticket)
    client = api_client(member(Role.ADMIN))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/")

    assert response.status_code == 204
    assert stored_files(media) == set()


def test_rolled_back_ticket_delete_keeps_the_files(
    tenant, ticket, media, django_capture_on_commit_callbacks
):
    attachment = make_attachment(tenant, ticket)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), tenant_context(tenant):
            services.ticket_delete(tenant=tenant, actor=Actor(), ticket=ticket)
            raise RuntimeError("abort")

    assert callbacks == []
    assert stored_files(media) == {attachment.storage_key}
    assert len(rows(tenant)) == 1


# --- other tenants ----------------------------------------------------------------------------

NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


@pytest.fixture
def foreign(other_tenant):
    """Tenant B's ticket (a number only B has) with one attachment."""
    make_ticket(other_tenant, subject="B one")
    ticket = make_ticket(other_tenant, subject="B two")
    return ticket, make_attachment(other_tenant, ticket, content=b"secret of B")


def test_other_tenants_ticket_number_is_404_and_nothing_is_written(
    api_client, member, tenant, other_tenant, ticket, foreign, media
):
    b_ticket, _ = foreign
    client = api_client(member(Role.OWNER))
    before = (rows(tenant), rows(other_tenant), stored_files(media))

    listed = client.get(list_url(tenant, b_ticket.number))
    created = upload(client, tenant, b_ticket.number, "planted.txt", b"planted")
    as_json = client.post(list_url(tenant, b_ticket.number), {"file": "x"}, format="json")
    in_b = upload(client, other_tenant, b_ticket.number, "planted.txt", b"planted")

    responses = (listed, created, as_json, in_b)
    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert [r.json() for r in responses] == [NOT_FOUND] * 4
    assert (rows(tenant), rows(other_tenant), stored_files(media)) == before


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        pytest.param("GET", "", id="metadata"),
        pytest.param("GET", "download/", id="download"),
        pytest.param("DELETE", "", id="delete"),
    ],
)
def test_other_tenants_attachment_id_is_404_and_untouched(
    api_client, member, tenant, other_tenant, ticket, foreign, media, method, suffix,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    b_ticket, b_attachment = foreign
    client = api_client(member(Role.OWNER))
    before = (rows(other_tenant), stored_files(media))
    own_ticket_url = f"{detail_url(tenant, ticket.number, b_attachment.public_id)}{suffix}"
    same_number_url = f"{detail_url(tenant, b_ticket.number, b_attachment.public_id)}{suffix}"

    with django_capture_on_commit_callbacks(execute=True):
        responses = [client.generic(method, url) for url in (own_ticket_url, same_number_url)]

    assert [r.status_code for r in responses] == [404, 404]
    assert [r.json() for r in responses] == [NOT_FOUND, NOT_FOUND]
    assert (rows(other_tenant), stored_files(media)) == before


def test_other_tenants_attachment_does_not_leak_into_lists(agent_client, tenant, ticket, foreign):
    mine = make_attachment(tenant, ticket)

    response = agent_client.get(list_url(tenant, ticket.number))

    assert [row["id"] for row in response.json()["results"]] == [str(mine.public_id)]


def test_owner_of_b_downloads_b_and_a_cannot(api_client, member, tenant, other_tenant, foreign):
    b_ticket, b_attachment = foreign
    url = f"{detail_url(other_tenant, b_ticket.number, b_attachment.public_id)}download/"

    response, body = download(api_client(member(Role.VIEWER, tenant=other_tenant)), url)
    intruder = api_client(member(Role.OWNER)).get(url)

    assert (response.status_code, body) == (200, b"secret of B")
    assert intruder.status_code == 404
    assert intruder.json() == NOT_FOUND
