import hashlib
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.errors import field_errors
from tests.tickets.helpers import make_ticket
from tickets import services
from tickets.models import Attachment, TicketEvent
from tickets.services.attachments import EXTENSIONS, attachment_create
from tickets.storage import attachment_filename_sanitize

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24
KEY_RE = re.compile(r"^tenants/(?P<tenant>\d+)/attachments/[0-9a-f]{32}/(?P<name>[^/]+)$")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- helpers and fixtures ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def stored_files(media) -> set[str]:
    return {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}


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


@pytest.fixture
def agent(member):
    return member(Role.AGENT)


@pytest.fixture
def agent_client(api_client, agent):
    return api_client(agent)


@pytest.fixture
def ticket(tenant):
    return make_ticket(tenant)


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


# --- accepted and refused types ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "declared", "stored_type", "stored_name"),
    [
        pytest.param("a.png", PNG, "image/png", "image/png", "a.png", id="png"),
        pytest.param(
            "a.jpg", b"\xff\xd8\xff\xe0JFIF", "image/jpeg", "image/jpeg", "a.jpg", id="jpeg"
        ),
        pytest.param(
            "a.jpg", b"\xff\xd8\xff\xe0JFIF", "image/jpg", "image/jpeg", "a.jpg", id="jpg-alias"
        ),
        pytest.param("a.gif", b"GIF89a\x01\x00", "image/gif", "image/gif", "a.gif", id="gif"),
        pytest.param(
            "a.webp",
            b"RIFF\x10\x00\x00\x00WEBPVP8 ",
            "image/webp",
            "image/webp",
            "a.webp",
            id="webp",
        ),
        pytest.param("a.pdf", PDF, "application/pdf", "application/pdf", "a.pdf", id="pdf"),
        pytest.param(
            "a.txt",
            "naïve café".encode("latin-1"),
            "text/plain",
            "text/plain",
            "a.txt",
            id="latin1-text",
        ),
        pytest.param("a.csv", b"id,name\n1,x\n", "text/csv", "text/csv", "a.csv", id="csv"),
        pytest.param(
            "a.csv",
            b"id,name\n1,x\n",
            "application/vnd.ms-excel",
            "text/csv",
            "a.csv",
            id="windows-csv",
        ),
        pytest.param(
            "a.json", b' {"ok": true}', "application/json", "application/json", "a.json", id="json"
        ),
        pytest.param(
            "a.zip", ZIP, "application/x-zip-compressed", "application/zip", "a.zip", id="zip-alias"
        ),
        pytest.param("a.docx", ZIP, DOCX, DOCX, "a.docx", id="docx"),
        pytest.param(
            "a.xls", OLE, "application/vnd.ms-excel", "application/vnd.ms-excel", "a.xls", id="xls"
        ),
        pytest.param(
            "a.png",
            PNG,
            "application/octet-stream",
            "image/png",
            "a.png",
            id="octet-stream-by-extension",
        ),
        pytest.param(
            "a.PNG", PNG, "image/png; name=a.png", "image/png", "a.png", id="parameters-and-case"
        ),
        pytest.param("scan", PNG, "image/png", "image/png", "scan.png", id="extension-added"),
        pytest.param(
            "invoice.exe",
            PDF,
            "application/pdf",
            "application/pdf",
            "invoice.exe.pdf",
            id="bad-extension-kept-safe",
        ),
    ],
)
def test_allowed_types_are_stored(
    agent_client, tenant, ticket, name, content, declared, stored_type, stored_name
):
    response = upload(agent_client, tenant, ticket.number, name, content, declared)

    assert response.status_code == 201, response.content
    assert (response.json()["content_type"], response.json()["filename"]) == (
        stored_type,
        stored_name,
    )


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        pytest.param("page.html", b"<html><script>x()</script>", "text/html", id="html"),
        pytest.param("logo.svg", b"<svg onload='x()'/>", "image/svg+xml", id="svg"),
        pytest.param("run.exe", b"MZ\x90\x00", "application/x-msdownload", id="exe"),
        pytest.param("blob.bin", b"\x00\x01", "application/octet-stream", id="unknown-binary"),
        pytest.param("noext", b"hello", "", id="no-type-no-extension"),
        pytest.param("page.png", b"<html>", "text/html", id="declared-type-wins"),
    ],
)
def test_disallowed_types_are_400(agent_client, tenant, ticket, media, name, content, declared):
    response = upload(agent_client, tenant, ticket.number, name, content, declared)

    assert response.status_code == 400, response.content
    assert list(field_errors(response)) == ["file"]
    assert rows(tenant) == []
    assert stored_files(media) == set()


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        pytest.param("fake.png", b"GIF89a not a png", "image/png", id="png-that-is-gif"),
        pytest.param("fake.png", b"<script>alert(1)</script>", "image/png", id="png-that-is-html"),
        pytest.param("fake.jpg", PNG, "image/jpeg", id="jpeg-that-is-png"),
        pytest.param("fake.pdf", b"hello", "application/pdf", id="pdf-that-is-text"),
        pytest.param("fake.zip", b"hello", "application/zip", id="zip-that-is-text"),
        pytest.param("fake.docx", OLE, DOCX, id="docx-that-is-ole"),
        pytest.param("fake.xls", ZIP, "application/vnd.ms-excel", id="xls-that-is-zip"),
        pytest.param("fake.txt", PNG, "text/plain", id="text-that-is-binary"),
        pytest.param("fake.json", b"<html>", "application/json", id="json-that-is-html"),
        pytest.param("fake.png", b"MZ\x90\x00", "application/octet-stream", id="octet-stream-exe"),
    ],
)
def test_content_not_matching_its_type_is_400(
    agent_client, tenant, ticket, media, name, content, declared
):
    response = upload(agent_client, tenant, ticket.number, name, content, declared)

    assert response.status_code == 400, response.content
    assert list(field_errors(response)) == ["file"]
    assert rows(tenant) == []
    assert stored_files(media) == set()


def test_allow_list_comes_from_settings(agent_client, tenant, ticket, settings):
    settings.ATTACHMENT_CONTENT_TYPES = ["text/plain"]

    refused = upload(agent_client, tenant, ticket.number, "a.png", PNG, "image/png")
    accepted = upload(agent_client, tenant, ticket.number, "a.txt", b"hi", "text/plain")

    assert (refused.status_code, accepted.status_code) == (400, 201)


# --- size -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [pytest.param(100, 201, id="at-the-limit"), pytest.param(101, 400, id="one-byte-over")],
)
def test_size_cap(agent_client, tenant, ticket, settings, media, size, expected):
    settings.ATTACHMENT_MAX_BYTES = 100

    response = upload(agent_client, tenant, ticket.number, "a.txt", b"x" * size)

    assert response.status_code == expected, response.content
    assert len(rows(tenant)) == len(stored_files(media)) == (expected == 201)


def test_size_cap_error_names_the_field(agent_client, tenant, ticket, settings):
    settings.ATTACHMENT_MAX_BYTES = 10

    response = upload(agent_client, tenant, ticket.number, "a.txt", b"x" * 11)

    assert field_errors(response) == {"file": ["The file is larger than the limit of 10 bytes."]}


def test_default_size_cap_is_ten_mib(agent_client, tenant, ticket, media):
    response = upload(agent_client, tenant, ticket.number, "a.txt", b"x" * (10 * 1024 * 1024 + 1))

    assert response.status_code == 400
    assert list(field_errors(response)) == ["file"]
    assert stored_files(media) == set()


def test_body_over_the_upload_limit_is_413_before_parsing(agent_client, tenant, ticket, settings):
    settings.API_MAX_UPLOAD_BYTES = 1_000

    response = upload(agent_client, tenant, ticket.number, "a.txt", b"x" * 2_000)

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert rows(tenant) == []


def test_empty_file_is_400(agent_client, tenant, ticket, media):
    response = upload(agent_client, tenant, ticket.number, "empty.txt", b"")

    assert response.status_code == 400
    assert field_errors(response) == {"file": ["The file is empty."]}
    assert stored_files(media) == set()


# --- bad input --------------------------------------------------------------------------------


def test_missing_file_is_400(agent_client, tenant, ticket):
    response = agent_client.post(list_url(tenant, ticket.number), {}, format="multipart")

    assert response.status_code == 400
    assert list(field_errors(response)) == ["file"]


def test_json_body_is_415(agent_client, tenant, ticket):
    response = agent_client.post(list_url(tenant, ticket.number), {"file": "aGk="}, format="json")

    assert response.status_code == 415
    assert rows(tenant) == []


def test_unknown_fields_are_rejected(agent_client, tenant, other_tenant, ticket, media):
    file = SimpleUploadedFile("a.txt", b"hi", content_type="text/plain")

    response = agent_client.post(
        list_url(tenant, ticket.number),
        {"file": file, "tenant": other_tenant.pk, "storage_key": "../x"},
        format="multipart",
    )

    assert response.status_code == 400
    assert set(field_errors(response)) == {"tenant", "storage_key"}
    assert stored_files(media) == set()


def test_closed_ticket_takes_no_attachments(agent_client, tenant, ticket, media):
    with tenant_context(tenant):
        services.ticket_update(tenant=tenant, actor=Actor(), ticket=ticket, status="closed")

    response = upload(agent_client, tenant, ticket.number)

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"
    assert stored_files(media) == set()


# --- file names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        pytest.param("../../etc/passwd", "text/plain", "passwd.txt", id="posix-traversal"),
        pytest.param(
            "..\\..\\windows\\win.ini", "text/plain", "win.ini.txt", id="windows-traversal"
        ),
        pytest.param("/abs/path/a.txt", "text/plain", "a.txt", id="absolute"),
        pytest.param("a\x00b.png", "image/png", "ab.png", id="nul"),
        pytest.param("line\r\nbreak.txt", "text/plain", "linebreak.txt", id="newlines"),
        pytest.param("evil\u202egnp.exe", "image/png", "evilgnp.exe.png", id="bidi-override"),
        pytest.param('qu"o<t>e|s?.txt', "text/plain", "quotes.txt", id="header-and-windows-chars"),
        pytest.param(".htaccess", "text/plain", "htaccess.txt", id="hidden-file"),
        pytest.param("..", "text/plain", "attachment.txt", id="dots-only"),
        pytest.param("", "image/png", "attachment.png", id="empty"),
        pytest.param("trailing. . ", "text/plain", "trailing.txt", id="trailing-dots"),
        pytest.param("CON.txt", "text/plain", "_CON.txt", id="windows-device"),
        pytest.param("Photo.JPEG", "image/jpeg", "Photo.jpeg", id="extension-lowercased"),
        pytest.param("report.final.v2", "text/csv", "report.final.v2.csv", id="unknown-extension"),
        pytest.param("a    b.txt", "text/plain", "a b.txt", id="whitespace-collapsed"),
    ],
)
def test_filename_is_sanitized(raw, content_type, expected):
    assert attachment_filename_sanitize(raw, extensions=EXTENSIONS[content_type]) == expected


@pytest.mark.parametrize(
    ("stem", "max_chars", "max_bytes"),
    [pytest.param("a" * 400, 120, 120, id="ascii"), pytest.param("é" * 400, 120, 200, id="utf-8")],
)
def test_long_filename_is_cut_and_keeps_its_extension(stem, max_chars, max_bytes):
    name = attachment_filename_sanitize(f"{stem}.pdf", extensions=EXTENSIONS["application/pdf"])

    assert name.endswith(".pdf")
    assert len(name) <= max_chars
    assert len(name.encode()) <= max_bytes


@pytest.mark.parametrize(
    ("raw", "content", "content_type", "expected"),
    [
        pytest.param("../../etc/passwd", b"root:x:0:0", "text/plain", "passwd.txt", id="traversal"),
        pytest.param("a\x00b.png", PNG, "image/png", "ab.png", id="nul"),
        pytest.param("..\\..\\boot.ini", b"[boot]", "text/plain", "boot.ini.txt", id="backslashes"),
    ],
)
def test_hostile_names_through_the_api_stay_in_the_tenant_area(
    agent_client, tenant, ticket, media, raw, content, content_type, expected
):
    response = raw_upload(agent_client, tenant, ticket.number, raw, content, content_type)

    assert response.status_code == 201, response.content
    assert response.json()["filename"] == expected
    [(*_, key)] = rows(tenant)
    assert KEY_RE.match(key)["name"] == expected
    assert key.startswith(f"tenants/{tenant.pk}/attachments/")
    assert stored_files(media) == {key}


def test_hostile_name_given_to_the_service_directly_is_sanitized(tenant, ticket, media):
    attachment = make_attachment(tenant, ticket, name="../../../../etc/cron.d/x")

    assert attachment.filename == "x.txt"
    assert attachment.storage_key.startswith(f"tenants/{tenant.pk}/attachments/")
    assert stored_files(media) == {attachment.storage_key}


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
