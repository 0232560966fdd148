"""Attachments of inbound emails pass the shared upload policy (tickets.files): kept ones are
the customer's files on the ticket (or on their comment); refused ones never lose the message,
a note in the text names them."""

import pytest
from django.core.files.storage import default_storage

from tenants.access import Actor
from tenants.context import tenant_context
from tests.notifications.inbound_helpers import (
    attachments_of,
    comments_on,
    email,
    inbound_rows,
    receive,
    tickets_of,
)
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.services.gdpr import ERASED

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_attachments_of_a_new_message_are_the_customers_files_on_the_ticket(tenant):
    raw = email(
        attachments=[("photo.png", "image/png", PNG), ("report.pdf", "application/pdf", PDF)]
    )

    result = receive(tenant, raw)

    [ticket] = tickets_of(tenant)
    files = attachments_of(tenant)
    assert (result.attachments_kept, result.attachments_refused) == (2, 0)
    assert [(f.filename, f.content_type, f.size) for f in files] == [
        ("photo.png", "image/png", len(PNG)),
        ("report.pdf", "application/pdf", len(PDF)),
    ]
    assert {(f.ticket_id, f.comment_id, f.from_customer) for f in files} == {
        (ticket.pk, None, True)
    }
    assert default_storage.open(files[0].storage_key).read() == PNG
    assert ticket.description == "The printer on floor 3 is on fire."
    assert (
        inbound_rows(tenant)[0].attachments_kept,
        inbound_rows(tenant)[0].attachments_refused,
    ) == (
        2,
        0,
    )


def test_attachments_of_a_reply_belong_to_the_customers_comment(tenant):
    ticket = make_ticket(tenant, customer_email="ann@example.test")

    receive(
        tenant,
        email(subject=f"Re: [#{ticket.number}]", attachments=[("log.txt", "text/plain", b"boom")]),
    )

    [comment] = comments_on(tenant, ticket.number)
    [file] = attachments_of(tenant)
    assert (file.ticket_id, file.comment_id, file.filename) == (ticket.pk, comment.pk, "log.txt")


def test_a_refused_attachment_is_left_out_and_named_in_the_text(tenant):
    raw = email(
        attachments=[
            ("setup.exe", "application/x-msdownload", b"MZ\x90\x00"),
            ("fake.png", "image/png", b"not a png at all"),
            ("photo.png", "image/png", PNG),
        ]
    )

    result = receive(tenant, raw)

    [ticket] = tickets_of(tenant)
    assert (result.result, result.attachments_kept, result.attachments_refused) == (
        "created",
        1,
        2,
    )
    assert [f.filename for f in attachments_of(tenant)] == ["photo.png"]
    assert ticket.description == (
        "The printer on floor 3 is on fire.\n\n"
        "[Attachment not kept: setup.exe (Files of type 'application/x-msdownload' are not "
        "accepted.)]\n\n"
        "[Attachment not kept: fake.png (The file's content is not image/png.)]"
    )


def test_an_attached_email_is_refused_by_the_policy_and_noted(tenant):
    inner = email(subject="Forwarded", text="inner")
    raw = email(attachments=[("old.eml", "message/rfc822", inner)])

    result = receive(tenant, raw)

    assert (result.attachments_kept, result.attachments_refused) == (0, 1)
    assert "[Attachment not kept: old.eml" in tickets_of(tenant)[0].description


def test_an_email_keeps_at_most_twenty_attachments(tenant):
    raw = email(attachments=[(f"f{i}.txt", "text/plain", b"x") for i in range(23)])

    result = receive(tenant, raw)

    assert (result.attachments_kept, result.attachments_refused) == (20, 3)
    assert len(attachments_of(tenant)) == 20
    assert tickets_of(tenant)[0].description.endswith(
        "[3 more attachment(s) not kept: an email keeps at most 20.]"
    )


def test_an_attachment_over_the_size_cap_is_refused_and_the_message_filed(tenant, settings):
    settings.ATTACHMENT_MAX_BYTES = 10

    result = receive(tenant, email(attachments=[("big.txt", "text/plain", b"y" * 50)]))

    assert (result.result, result.attachments_kept, result.attachments_refused) == (
        "created",
        0,
        1,
    )
    assert "larger than the limit" in tickets_of(tenant)[0].description


def test_erasing_the_customer_removes_the_files_they_emailed(
    tenant, django_capture_on_commit_callbacks
):
    receive(tenant, email(attachments=[("photo.png", "image/png", PNG)]))
    [ticket] = tickets_of(tenant)
    [file] = attachments_of(tenant)

    with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
        services.customer_erase(tenant=tenant, actor=Actor(), customer=ticket.requester)

    [erased] = attachments_of(tenant)
    assert erased.filename == ERASED
    assert not default_storage.exists(file.storage_key)
