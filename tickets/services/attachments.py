"""Ticket attachments: checked uploads (size, type, leading bytes, name), listing, deletion.

The bytes live in storage (tickets.storage) under a tenant-prefixed random key; the row keeps
name, type, size and SHA-256. A deleted row's file goes once the transaction commits.
"""

import codecs
import hashlib
import mimetypes
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from tenants.access import Actor
from tenants.models import Tenant
from tickets import history
from tickets.exceptions import TicketClosedError
from tickets.models import Attachment, Comment, Status, Ticket, TicketEvent
from tickets.selectors import attachment_get_for_update, ticket_get_for_update
from tickets.storage import (
    attachment_file_delete,
    attachment_file_save,
    attachment_filename_sanitize,
    attachment_key,
)

# Enough to recognise every format below (PDF may put up to 1 KiB of junk before "%PDF-").
_HEAD_BYTES = 2048

# Declared types that say nothing: the file name's extension decides instead.
_UNINFORMATIVE_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})

# Spellings browsers and mail clients use for the canonical types of the allow-list.
_TYPE_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "application/x-zip-compressed": "application/zip",
    "application/x-zip": "application/zip",
    "application/csv": "text/csv",
    "text/x-csv": "text/csv",
    "text/json": "application/json",
    "application/x-pdf": "application/pdf",
}

_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"

# type -> accepted extensions, the canonical one first (what a bad or missing one becomes).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    "text/plain": (".txt", ".log", ".text"),
    "text/csv": (".csv",),
    "application/json": (".json",),
    "application/zip": (".zip",),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.ms-powerpoint": (".ppt",),
    f"{_OOXML}.wordprocessingml.document": (".docx",),
    f"{_OOXML}.spreadsheetml.sheet": (".xlsx",),
    f"{_OOXML}.presentationml.presentation": (".pptx",),
    f"{_ODF}.text": (".odt",),
    f"{_ODF}.spreadsheet": (".ods",),
    f"{_ODF}.presentation": (".odp",),
}


def _is_text(head: bytes) -> bool:
    """Plain text: UTF-16 with a BOM, or no NUL byte (UTF-8, Latin-1 and cp1252 exports)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    return b"\x00" not in head


def _is_json(head: bytes) -> bool:
    if not _is_text(head):
        return False
    stripped = head.removeprefix(codecs.BOM_UTF8).lstrip()
    return not stripped or stripped[:1] in b'{["-0123456789tfn'


def _is_zip(head: bytes) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def _is_ole(head: bytes) -> bool:  # legacy Office (Compound File Binary)
    return head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


# type -> check of the file's leading bytes. Types allowed by settings but absent here are
# checked by their declared type only.
SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "image/png": lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda h: h.startswith(b"\xff\xd8\xff"),
    "image/gif": lambda h: h.startswith((b"GIF87a", b"GIF89a")),
    "image/webp": lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP",
    "application/pdf": lambda h: b"%PDF-" in h[:1024],
    "text/plain": _is_text,
    "text/csv": _is_text,
    "application/json": _is_json,
    "application/zip": _is_zip,
    "application/msword": _is_ole,
    "application/vnd.ms-excel": _is_ole,
    "application/vnd.ms-powerpoint": _is_ole,
    f"{_OOXML}.wordprocessingml.document": _is_zip,
    f"{_OOXML}.spreadsheetml.sheet": _is_zip,
    f"{_OOXML}.presentationml.presentation": _is_zip,
    f"{_ODF}.text": _is_zip,
    f"{_ODF}.spreadsheet": _is_zip,
    f"{_ODF}.presentation": _is_zip,
}


def _normalize_type(value: str | None) -> str:
    value = (value or "").split(";", 1)[0].strip().lower()
    return _TYPE_ALIASES.get(value, value)


def attachment_content_type_resolve(*, declared: str | None, filename: str) -> str:
    """Return the canonical content type of an upload, or raise ValidationError on `file`.

    The declared type decides; when it says nothing (empty, octet-stream) the name's extension
    does. Windows labels .csv files as Excel: that one case is read as CSV too.
    """
    content_type = _normalize_type(declared)
    guessed = _normalize_type(mimetypes.guess_type(filename or "", strict=False)[0])
    windows_csv = content_type == "application/vnd.ms-excel" and guessed == "text/csv"
    if content_type in _UNINFORMATIVE_TYPES or windows_csv:
        content_type = guessed
    allowed = {_normalize_type(t) for t in settings.ATTACHMENT_CONTENT_TYPES}
    if content_type not in allowed:
        raise ValidationError(
            {"file": f"Files of type {content_type or 'unknown'!r} are not accepted."},
            code="type_not_allowed",
        )
    return content_type


def _extensions(content_type: str) -> tuple[str, ...]:
    known = EXTENSIONS.get(content_type)
    if known:
        return known
    return tuple(sorted(mimetypes.guess_all_extensions(content_type, strict=False)))


def _read_head(file: File) -> bytes:
    file.seek(0)
    head = file.read(_HEAD_BYTES)
    file.seek(0)
    return head


def _digest(file: File) -> str:
    sha = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        sha.update(chunk)
    file.seek(0)
    return sha.hexdigest()


def _check_size(size: int) -> None:
    limit = settings.ATTACHMENT_MAX_BYTES
    if size <= 0:
        raise ValidationError({"file": "The file is empty."}, code="empty")
    if size > limit:
        raise ValidationError(
            {"file": f"The file is larger than the limit of {limit} bytes."}, code="too_large"
        )


def _history(ticket: Ticket, actor: Actor, attachment: Attachment, *, added: bool) -> TicketEvent:
    if added:
        return history.attachment_added(ticket, actor, attachment)
    return history.attachment_removed(ticket, actor, attachment)


@transaction.atomic
def attachment_create(
    *,
    tenant: Tenant,
    actor: Actor,
    ticket: Ticket,
    file: File,
    filename: str,
    content_type: str | None,
    comment: Comment | None = None,
) -> Attachment:
    """Store an uploaded file on a ticket (optionally on one of its comments).

    Checks, before anything is written: not empty, at most ATTACHMENT_MAX_BYTES, a type of
    ATTACHMENT_CONTENT_TYPES whose leading bytes match it. The name is sanitized; the key is
    random under the tenant's prefix. Raises ValidationError (`file`, `comment`),
    NotFoundError (the ticket was deleted meanwhile) or TicketClosedError. Adds an
    "attachment" history row.

    The ticket is locked before the bytes are stored, so a concurrent delete either finished
    (404, nothing stored) or waits and then removes this file with the ticket's others; bytes
    stored for a row that is not written are removed again.
    """
    ticket = ticket_get_for_update(tenant=tenant, pk=ticket.pk)
    if ticket.status == Status.CLOSED:
        raise TicketClosedError("A closed ticket takes no attachments; open a follow-up ticket.")
    # Read under the ticket's lock: a merge (which locks it too) may have moved the comment.
    if comment is not None and not ticket.comments.filter(tenant=tenant, pk=comment.pk).exists():
        raise ValidationError({"comment": "No comment of this ticket has this id."})

    _check_size(file.size or 0)
    resolved = attachment_content_type_resolve(declared=content_type, filename=filename)
    signature = SIGNATURES.get(resolved)
    if signature is not None and not signature(_read_head(file)):
        raise ValidationError(
            {"file": f"The file's content is not {resolved}."}, code="content_mismatch"
        )
    safe_name = attachment_filename_sanitize(filename, extensions=_extensions(resolved))
    sha256 = _digest(file)

    key = attachment_file_save(
        key=attachment_key(tenant_id=tenant.pk, filename=safe_name), content=file
    )
    stored = False
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                tenant=tenant,
                ticket=ticket,
                comment=comment,
                filename=safe_name,
                content_type=resolved,
                size=file.size,
                sha256=sha256,
                storage_key=key,
                uploaded_by=actor.user,
            )
            TicketEvent.objects.bulk_create([_history(ticket, actor, attachment, added=True)])
        stored = True
    finally:
        if not stored:
            attachment_file_delete(key)  # no row points at it
    return attachment


@transaction.atomic
def attachment_delete(*, tenant: Tenant, actor: Actor, attachment: Attachment) -> None:
    """Delete an attachment; its file is removed when the transaction commits.

    Adds an "attachment" history row (old value: the attachment, new: null). Locks the ticket,
    then the attachment (the one lock order); NotFoundError when either went meanwhile.
    """
    ticket = ticket_get_for_update(tenant=tenant, pk=attachment.ticket_id)
    attachment = attachment_get_for_update(tenant=tenant, pk=attachment.pk, ticket=ticket)
    TicketEvent.objects.bulk_create([_history(ticket, actor, attachment, added=False)])
    attachment.delete()  # tickets.storage removes the file on commit


# --- Reads ------------------------------------------------------------------------------------
# Selectors of this area (they belong with tickets/selectors.py; kept here with their service).
