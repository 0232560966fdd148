"""The upload policy: what an uploaded file must be before anything stores it.

One check for every way a file comes in (ticket attachments today; inbound email, the help
center and the knowledge base next): not empty, within a size limit, of an allowed type whose
leading bytes match it, under a sanitized name, hashed. `upload_check` runs them all, in that
order, and raises ValidationError({"file": message}) for the first that fails.
"""

import codecs
import hashlib
import mimetypes
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File

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

# --- Names ------------------------------------------------------------------------------------

# A name longer than this is cut (the stem, never the extension). The byte limit keeps the
# storage key within the column and the name within any filesystem's 255-byte component.
FILENAME_MAX_CHARS = 120
FILENAME_MAX_BYTES = 200
FALLBACK_STEM = "attachment"

# Characters Windows refuses in names (and quotes/backslashes, which break header quoting).
_FORBIDDEN_CHARS = frozenset('<>:"/\\|?*')
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)
_WHITESPACE_RE = re.compile(r"\s+")


def _truncate(stem: str, extension: str) -> str:
    stem = stem[: max(FILENAME_MAX_CHARS - len(extension), 1)]
    while stem and len((stem + extension).encode()) > FILENAME_MAX_BYTES:
        stem = stem[:-1]
    return stem.rstrip(" .") or FALLBACK_STEM


def upload_filename_sanitize(name: str, *, extensions: tuple[str, ...]) -> str:
    """Return a safe display and storage name for an uploaded file's declared name.

    Drops any directory part, control and format characters (NUL, newlines, bidi overrides)
    and characters filesystems or HTTP headers choke on; strips leading dots (hidden files)
    and trailing dots/spaces; cuts the length. The extension is kept when it is one of
    `extensions` (those of the file's content type, canonical first); otherwise the canonical
    one is appended, so "invoice.exe" sent as a PDF is stored as "invoice.exe.pdf".
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(
        ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in _FORBIDDEN_CHARS
    )
    name = _WHITESPACE_RE.sub(" ", name).strip(" .")
    stem, extension = os.path.splitext(name)
    if extension.lower() in extensions:
        extension = extension.lower()
    else:
        stem, extension = name, (extensions[0] if extensions else "")
    stem = stem.strip(" .") or FALLBACK_STEM
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    return _truncate(stem, extension) + extension


# --- Types ------------------------------------------------------------------------------------


def _normalize_type(value: str | None) -> str:
    value = (value or "").split(";", 1)[0].strip().lower()
    return _TYPE_ALIASES.get(value, value)


def upload_content_type_resolve(
    *, declared: str | None, filename: str, allowed: Iterable[str] | None = None
) -> str:
    """Return the canonical content type of an upload, or raise ValidationError on `file`.

    The declared type decides; when it says nothing (empty, octet-stream) the name's extension
    does. Windows labels .csv files as Excel: that one case is read as CSV too. `allowed`
    defaults to ATTACHMENT_CONTENT_TYPES.
    """
    content_type = _normalize_type(declared)
    guessed = _normalize_type(mimetypes.guess_type(filename or "", strict=False)[0])
    windows_csv = content_type == "application/vnd.ms-excel" and guessed == "text/csv"
    if content_type in _UNINFORMATIVE_TYPES or windows_csv:
        content_type = guessed
    if allowed is None:
        allowed = settings.ATTACHMENT_CONTENT_TYPES
    if content_type not in {_normalize_type(t) for t in allowed}:
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


# --- Bytes ------------------------------------------------------------------------------------


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


def _check_size(size: int, *, limit: int) -> None:
    if size <= 0:
        raise ValidationError({"file": "The file is empty."}, code="empty")
    if size > limit:
        raise ValidationError(
            {"file": f"The file is larger than the limit of {limit} bytes."}, code="too_large"
        )


# --- The check --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the policy: what to store it as."""

    name: str  # sanitized, with an extension of its type
    content_type: str  # canonical (aliases resolved), on the allow-list
    size: int  # bytes, > 0
    sha256: str  # hex digest of the whole file


def upload_check(
    *,
    name: str,
    content_type: str | None,
    file: File,
    max_bytes: int | None = None,
    allowed_types: Iterable[str] | None = None,
) -> CheckedUpload:
    """Check an uploaded file against the upload policy; return what to store it as.

    In order: not empty and at most `max_bytes` (default ATTACHMENT_MAX_BYTES); a type of
    `allowed_types` (default ATTACHMENT_CONTENT_TYPES: the declared one, or the name's when the
    declared one says nothing) whose leading bytes match it; then the name is sanitized and
    the bytes hashed. Raises ValidationError({"file": message}) for the first check that
    fails. Reads the file, and leaves it at position 0.
    """
    limit = settings.ATTACHMENT_MAX_BYTES if max_bytes is None else max_bytes
    size = file.size or 0
    _check_size(size, limit=limit)
    resolved = upload_content_type_resolve(
        declared=content_type, filename=name, allowed=allowed_types
    )
    signature = SIGNATURES.get(resolved)
    if signature is not None and not signature(_read_head(file)):
        raise ValidationError(
            {"file": f"The file's content is not {resolved}."}, code="content_mismatch"
        )
    return CheckedUpload(
        name=upload_filename_sanitize(name, extensions=_extensions(resolved)),
        content_type=resolved,
        size=size,
        sha256=_digest(file),
    )
