"""What the attachment tests share: sample files and the calls that upload, list and read."""

import re

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from tenants.access import Actor
from tenants.context import tenant_context
from tests.tickets.helpers import make_ticket as shared_make_ticket
from tickets.models import Attachment
from tickets.services.attachments import attachment_create

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24
KEY_RE = re.compile(r"^tenants/(?P<tenant>\d+)/attachments/[0-9a-f]{32}/(?P<name>[^/]+)$")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


def stored_files(media) -> set[str]:
    return {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}


def make_ticket(tenant, subject="Help"):
    """The shared make_ticket, with the subject positional."""
    return shared_make_ticket(tenant, subject=subject)


def make_attachment(tenant, ticket, content=b"hello", name="notes.txt", content_type="text/plain"):
    with tenant_context(tenant):
        return attachment_create(
            tenant=tenant,
            actor=Actor(),
            ticket=ticket,
            file=ContentFile(content, name=name),
            filename=name,
            content_type=content_type,
        )


def rows(tenant) -> list[tuple]:
    with tenant_context(tenant):
        return list(
            Attachment.objects.order_by("id").values_list(
                "ticket__number", "filename", "content_type", "size", "storage_key"
            )
        )


def list_url(tenant, number) -> str:
    return f"/api/v1/t/{tenant.slug}/tickets/{number}/attachments/"


def detail_url(tenant, number, attachment_id) -> str:
    return f"{list_url(tenant, number)}{attachment_id}/"


def upload(client, tenant, number, name="notes.txt", content=b"hello", content_type="text/plain"):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(list_url(tenant, number), {"file": file}, format="multipart")


def raw_upload(client, tenant, number, filename: str, content: bytes, content_type: str):
    """A multipart body written by hand: the test client would clean the file name itself."""
    boundary = "tenantdesk-boundary"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    body = head + content + f"\r\n--{boundary}--\r\n".encode()
    return client.generic(
        "POST", list_url(tenant, number), body, f"multipart/form-data; boundary={boundary}"
    )


def download(client, url):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body
