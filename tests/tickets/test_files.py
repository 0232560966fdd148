"""The upload policy (tickets.files) on its own: what every upload path gets back, and the
exact error each bad upload is refused with."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from tickets.files import EXTENSIONS, CheckedUpload, upload_check, upload_filename_sanitize

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"
EXE = b"MZ\x90\x00\x03\x00\x00\x00"


def _check(name, content, content_type, **limits):
    return upload_check(name=name, content_type=content_type, file=ContentFile(content), **limits)


def _refusal(name, content, content_type, **limits) -> dict:
    with pytest.raises(ValidationError) as error:
        _check(name, content, content_type, **limits)
    return error.value.message_dict


# --- happy paths ------------------------------------------------------------------------------


def test_a_good_upload_comes_back_named_typed_sized_and_hashed():
    checked = _check("photo.png", PNG, "image/png")

    assert checked == CheckedUpload(
        name="photo.png",
        content_type="image/png",
        size=len(PNG),
        sha256=hashlib.sha256(PNG).hexdigest(),
    )


@pytest.mark.parametrize(
    ("name", "content", "declared", "expected_name", "expected_type"),
    [
        pytest.param("a.jpg", JPEG, "image/jpg", "a.jpg", "image/jpeg", id="alias"),
        pytest.param(
            "a.txt", b"hi", "text/plain; charset=utf-8", "a.txt", "text/plain", id="params"
        ),
        pytest.param(
            "notes.txt",
            b"hi",
            "application/octet-stream",
            "notes.txt",
            "text/plain",
            id="octet-stream-uses-the-extension",
        ),
        pytest.param("notes.txt", b"hi", None, "notes.txt", "text/plain", id="no-declared-type"),
        pytest.param(
            "data.csv",
            b"a,b\n1,2\n",
            "application/vnd.ms-excel",
            "data.csv",
            "text/csv",
            id="windows-csv-labelled-excel",
        ),
        pytest.param(
            "report.pdf",
            b"junk" * 10 + PDF,
            "application/pdf",
            "report.pdf",
            "application/pdf",
            id="pdf-after-leading-junk",
        ),
        pytest.param(
            "old.doc",
            OLE,
            "application/msword",
            "old.doc",
            "application/msword",
            id="legacy-office",
        ),
        pytest.param(
            "a.json",
            b'\xef\xbb\xbf  {"a": 1}',
            "application/json",
            "a.json",
            "application/json",
            id="json-with-bom",
        ),
    ],
)
def test_declared_types_are_read_canonically(name, content, declared, expected_name, expected_type):
    checked = _check(name, content, declared)

    assert (checked.name, checked.content_type) == (expected_name, expected_type)


def test_the_file_is_left_at_its_start_for_storing():
    file = ContentFile(PNG)
    file.seek(5)

    upload_check(name="a.png", content_type="image/png", file=file)

    assert file.tell() == 0


# --- size -------------------------------------------------------------------------------------


def test_a_file_at_the_size_limit_is_accepted():
    assert _check("a.txt", b"x" * 10, "text/plain", max_bytes=10).size == 10


def test_a_file_over_the_size_limit_is_refused():
    assert _refusal("a.txt", b"x" * 11, "text/plain", max_bytes=10) == {
        "file": ["The file is larger than the limit of 10 bytes."]
    }


def test_the_size_limit_defaults_to_the_attachment_setting(settings):
    settings.ATTACHMENT_MAX_BYTES = 4

    assert _refusal("a.txt", b"hello", "text/plain") == {
        "file": ["The file is larger than the limit of 4 bytes."]
    }


def test_an_empty_file_is_refused():
    assert _refusal("a.txt", b"", "text/plain") == {"file": ["The file is empty."]}


def test_size_is_checked_before_the_type():
    # An empty file of a refused type is refused for being empty: the first check that fails.
    assert _refusal("a.exe", b"", "application/x-msdownload") == {"file": ["The file is empty."]}


# --- types ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "declared", "message"),
    [
        pytest.param(
            "a.exe",
            EXE,
            "application/x-msdownload",
            "Files of type 'application/x-msdownload' are not accepted.",
            id="exe",
        ),
        pytest.param(
            "a.html",
            b"<script>",
            "text/html",
            "Files of type 'text/html' are not accepted.",
            id="html",
        ),
        pytest.param(
            "blob",
            b"??",
            "application/octet-stream",
            "Files of type 'unknown' are not accepted.",
            id="nothing-says-what-it-is",
        ),
        pytest.param(
            "blob", b"??", "", "Files of type 'unknown' are not accepted.", id="empty-declared-type"
        ),
        pytest.param(
            "a.html",
            b"<script>",
            "application/octet-stream",
            "Files of type 'text/html' are not accepted.",
            id="extension-names-a-refused-type",
        ),
    ],
)
def test_unknown_or_refused_types_are_refused(name, content, declared, message):
    assert _refusal(name, content, declared) == {"file": [message]}


def test_the_allow_list_can_be_narrowed_per_use():
    assert _refusal("a.png", PNG, "image/png", allowed_types=["text/plain"]) == {
        "file": ["Files of type 'image/png' are not accepted."]
    }
    assert _check("a.txt", b"hi", "text/plain", allowed_types=["text/plain"]).name == "a.txt"


def test_the_allow_list_defaults_to_the_attachment_setting(settings):
    settings.ATTACHMENT_CONTENT_TYPES = ["text/plain"]

    assert _refusal("a.png", PNG, "image/png") == {
        "file": ["Files of type 'image/png' are not accepted."]
    }


# --- leading bytes ----------------------------------------------------------------------------


_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(
    ("name", "content", "declared", "message"),
    [
        pytest.param(
            "a.png", GIF, "image/png", "The file's content is not image/png.", id="gif-declared-png"
        ),
        pytest.param(
            "a.png", EXE, "image/png", "The file's content is not image/png.", id="exe-declared-png"
        ),
        pytest.param(
            "a.jpg",
            PNG,
            "image/jpeg",
            "The file's content is not image/jpeg.",
            id="png-declared-jpeg",
        ),
        pytest.param(
            "a.pdf",
            b"just text",
            "application/pdf",
            "The file's content is not application/pdf.",
            id="text-declared-pdf",
        ),
        pytest.param(
            "a.zip",
            b"not a zip",
            "application/zip",
            "The file's content is not application/zip.",
            id="text-declared-zip",
        ),
        pytest.param(
            "a.docx", OLE, _DOCX, f"The file's content is not {_DOCX}.", id="ole-declared-docx"
        ),
        pytest.param(
            "a.txt",
            b"a\x00b",
            "text/plain",
            "The file's content is not text/plain.",
            id="nul-in-text",
        ),
        pytest.param(
            "a.json",
            b"<xml/>",
            "application/json",
            "The file's content is not application/json.",
            id="xml-declared-json",
        ),
        pytest.param(
            "fake.png",
            EXE,
            "application/octet-stream",
            "The file's content is not image/png.",
            id="octet-stream-exe-named-png",
        ),
    ],
)
def test_content_that_does_not_match_its_type_is_refused(name, content, declared, message):
    assert _refusal(name, content, declared) == {"file": [message]}


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "content", "declared", "expected"),
    [
        pytest.param(
            "../../etc/passwd", b"root:x", "text/plain", "passwd.txt", id="posix-traversal"
        ),
        pytest.param(
            "..\\..\\boot.ini", b"[boot]", "text/plain", "boot.ini.txt", id="windows-traversal"
        ),
        pytest.param("/abs/dir/a.txt", b"hi", "text/plain", "a.txt", id="absolute-path"),
        pytest.param("a\x00b.png", PNG, "image/png", "ab.png", id="nul"),
        pytest.param(
            "tab\tand\x07bell.txt", b"hi", "text/plain", "tabandbell.txt", id="control-characters"
        ),
        pytest.param("line\r\nbreak.txt", b"hi", "text/plain", "linebreak.txt", id="newlines"),
        pytest.param("evil\u202egnp.exe", PNG, "image/png", "evilgnp.exe.png", id="bidi-override"),
        pytest.param("\x00\x01", PNG, "image/png", "attachment.png", id="nothing-left"),
        pytest.param("COM1.txt", b"hi", "text/plain", "_COM1.txt", id="windows-device"),
        pytest.param(
            "invoice.exe", PDF, "application/pdf", "invoice.exe.pdf", id="extension-of-another-type"
        ),
    ],
)
def test_names_are_sanitized(raw, content, declared, expected):
    assert _check(raw, content, declared).name == expected


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        pytest.param("a" * 300, "a" * 116 + ".txt", id="ascii-cut-to-120-characters"),
        pytest.param("é" * 300, "é" * 98 + ".txt", id="utf-8-cut-to-200-bytes"),
    ],
)
def test_very_long_names_are_cut_keeping_the_extension(stem, expected):
    assert _check(f"{stem}.txt", b"hi", "text/plain").name == expected


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
    assert upload_filename_sanitize(raw, extensions=EXTENSIONS[content_type]) == expected


@pytest.mark.parametrize(
    ("stem", "max_chars", "max_bytes"),
    [pytest.param("a" * 400, 120, 120, id="ascii"), pytest.param("é" * 400, 120, 200, id="utf-8")],
)
def test_long_filename_is_cut_and_keeps_its_extension(stem, max_chars, max_bytes):
    name = upload_filename_sanitize(f"{stem}.pdf", extensions=EXTENSIONS["application/pdf"])

    assert name.endswith(".pdf")
    assert len(name) <= max_chars
    assert len(name.encode()) <= max_bytes
