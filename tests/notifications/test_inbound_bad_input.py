"""Bad input never 500s the inbound endpoint: broken charsets and encodings, absurd nesting,
header injection, path tricks in file names, mutated bytes. Each answer is a 202 (filed,
whatever could be read) or a 400 that wrote nothing."""

import random

import pytest

from tests.notifications.inbound_helpers import (
    attachments_of,
    email,
    post_email,
    secret_for,
    tickets_of,
    written,
)

pytestmark = pytest.mark.django_db

HEAD = b"From: Ann <ann@example.test>\r\nTo: support+alpha@tenantdesk.local\r\n"


def _multipart(parts: list[bytes], boundary: bytes = b"b") -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return body + b"--" + boundary + b"--\r\n"


def _nested(depth: int) -> bytes:
    raw = b"Content-Type: text/plain\r\n\r\ninnermost\r\n"
    for level in range(depth):
        boundary = f"n{level}".encode()
        raw = b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n'
        raw += _multipart([raw], boundary)
    return HEAD + b"Subject: nested\r\n" + raw


CASES = {
    "unknown-charset": HEAD
    + b"Subject: x\r\nContent-Type: text/plain; charset=x-no-such\r\n\r\nCaf\xe9\r\n",
    "broken-base64": HEAD
    + b"Subject: x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    + b"!!!not*base64===\r\n",
    "broken-qp": HEAD
    + b"Subject: x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n=E9=\r\n",
    "bad-encoded-words": HEAD
    + b"Subject: =?utf-8?q?=FF=FE=00?= =?x-bad?b?????==?= =?utf-8?b?4pyT?=\r\n\r\nx\r\n",
    "8bit-headers": b"From: J\xf6rg <jorg@example.test>\r\nSubject: \xc3\x28 \xff\r\n\r\nbody\r\n",
    "nul-and-surrogates": HEAD + b"Subject: \x00nul\r\n\r\nA\x00B \xed\xa0\x80 C\r\n",
    "header-injection": HEAD + b"Subject: =?utf-8?q?Hi=0D=0AX-Injected:_1?=\r\n\r\nbody\r\n",
    "address-injection": HEAD.replace(b"Ann", b"=?utf-8?q?Ann=0D=0ABcc:_evil@x.test?=")
    + b"Subject: x\r\n\r\nbody\r\n",
    "bidi-subject": HEAD + "Subject: invoice\u202egnp.exe\r\n\r\nx".encode(),
    "deep-nesting": _nested(200),
    "multipart-without-boundary": HEAD
    + b"Subject: x\r\nContent-Type: multipart/mixed\r\n\r\n--b\r\nhello\r\n--b--\r\n",
    "unclosed-multipart": HEAD
    + b'Subject: x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
    + b"Content-Type: text/plain\r\n\r\nstart of text",
    "huge-header-line": HEAD + b"Subject: " + b"s" * 200_000 + b"\r\n\r\nbody\r\n",
    "many-references": HEAD
    + b"Subject: x\r\nReferences: "
    + b" ".join(b"<r%d@x.test>" % i for i in range(5000))
    + b"\r\n\r\nx\r\n",
    "long-message-id": HEAD + b"Message-ID: <" + b"i" * 2000 + b"@x.test>\r\n\r\nx\r\n",
    "garbage-message-id": HEAD + b"Message-ID: <<>> <a b> \x00\r\n\r\nx\r\n",
    "nul-in-message-id": HEAD + b"Message-ID: <a\x00b@x.test>\r\n\r\nx\r\n",
    "nul-in-references": HEAD
    + b"In-Reply-To: <c\x00d@x.test>\r\nReferences: <e\x01f@x.test>\r\n\r\nx\r\n",
    "path-in-filename": HEAD
    + b'Subject: x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
    + _multipart(
        [
            b"Content-Type: text/plain\r\n\r\nsee file",
            b'Content-Type: text/plain\r\nContent-Disposition: attachment; filename="../../etc/'
            b'passwd"\r\n\r\nroot:x',
            b"Content-Type: text/plain\r\nContent-Disposition: attachment; "
            b"filename*=utf-8''%00%0A..%2F%E2%80%AEevil.txt\r\n\r\nx",
            b"Content-Type: image/\r\nContent-Disposition: attachment\r\n\r\nx",
        ]
    ),
    "html-soup": HEAD
    + b"Subject: x\r\nContent-Type: text/html\r\n\r\n"
    + b"<div>" * 5000
    + b"<script>x<p><blockquote>" * 300
    + b"&#0;&#xD800;&bogus;",
    "empty-multipart": HEAD + b'Subject: x\r\nContent-Type: multipart/alternative; boundary="b"'
    b"\r\n\r\n--b--\r\n",
}


@pytest.fixture
def secret(tenant):
    return secret_for(tenant)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_messages_are_filed_or_refused_never_a_server_error(tenant, secret, name):
    response = post_email(tenant, CASES[name], secret=secret)

    assert response.status_code in (202, 400), response.content
    if response.status_code == 400:
        assert response.json()["code"] == "invalid"
        assert written(tenant)["inbound"] == 0
    else:
        [ticket] = tickets_of(tenant)
        assert "\n" not in ticket.subject and "\x00" not in ticket.description


def test_header_injection_stays_in_the_header_text(tenant, secret):
    post_email(tenant, CASES["header-injection"], secret=secret)

    [ticket] = tickets_of(tenant)
    assert ticket.subject == "Hi X-Injected: 1"
    assert (ticket.requester.name, ticket.requester.email) == ("Ann", "ann@example.test")


def test_a_line_break_in_the_senders_name_is_refused(tenant, secret):
    response = post_email(tenant, CASES["address-injection"], secret=secret)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["from"]
    assert written(tenant)["customers"] == 0


def test_file_names_lose_their_path_and_control_characters(tenant, secret, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)

    post_email(tenant, CASES["path-in-filename"], secret=secret)

    files = attachments_of(tenant)
    assert [file.filename for file in files] == ["passwd.txt", "evil.txt"]
    assert [file.storage_key.rsplit("/", 1)[1] for file in files] == ["passwd.txt", "evil.txt"]
    assert all(file.storage_key.startswith(f"tenants/{tenant.pk}/") for file in files)


@pytest.mark.parametrize("seed", range(12))
def test_randomly_mutated_messages_never_500(tenant, secret, seed):
    rng = random.Random(seed)
    raw = bytearray(
        email(
            html="<p>Hi <b>there</b></p>",
            attachments=[("a.txt", "text/plain", b"data"), ("p.pdf", "application/pdf", b"%PDF-")],
        )
    )
    for _ in range(rng.randint(1, 40)):
        position = rng.randrange(len(raw))
        raw[position] = rng.choice(b"\x00\r\n:;<>=?\"'\\ -\xff\x80abc")

    response = post_email(tenant, bytes(raw), secret=secret)

    assert response.status_code in (202, 400), response.content
