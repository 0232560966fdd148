"""Attachments: accepted and refused types, the size cap, bad input, file names."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tenants.access import Actor
from tenants.context import tenant_context
from tests.errors import field_errors
from tests.tickets.attachment_helpers import (
    DOCX,
    KEY_RE,
    OLE,
    PDF,
    PNG,
    ZIP,
    list_url,
    make_attachment,
    raw_upload,
    rows,
    stored_files,
    upload,
)
from tickets import services
from tickets.services.attachments import EXTENSIONS
from tickets.storage import attachment_filename_sanitize

pytestmark = pytest.mark.usefixtures("media")


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
