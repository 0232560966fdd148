"""Where attachment bytes live: Django's storage API under tenant-prefixed random keys.

Keys are `tenants/<tenant id>/attachments/<random hex>/<sanitized name>`: the tenant and the
random part come from the server, the name only from `attachment_filename_sanitize`, so no
user input ever chooses a path. Nothing is served from MEDIA_URL; the authorized download
route is the only way to the bytes.

Files follow their rows: when an Attachment row is deleted (directly, or by the cascade of its
ticket), its file is removed once the transaction commits, and kept if it rolls back.
"""

import logging
import os
import re
import secrets
import unicodedata
from functools import partial

from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models.signals import post_delete

from tickets.models import Attachment

logger = logging.getLogger(__name__)

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


def attachment_storage() -> Storage:
    """Return the storage attachment bytes live in (the default one: MEDIA_ROOT or a bucket)."""
    return storages["default"]


def attachment_key(*, tenant_id: int, filename: str) -> str:
    """Return a fresh storage key for a sanitized filename in a tenant's attachment area."""
    return f"tenants/{int(tenant_id)}/attachments/{secrets.token_hex(16)}/{filename}"


def _truncate(stem: str, extension: str) -> str:
    stem = stem[: max(FILENAME_MAX_CHARS - len(extension), 1)]
    while stem and len((stem + extension).encode()) > FILENAME_MAX_BYTES:
        stem = stem[:-1]
    return stem.rstrip(" .") or FALLBACK_STEM


def attachment_filename_sanitize(name: str, *, extensions: tuple[str, ...]) -> str:
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


def attachment_file_save(*, key: str, content: File) -> str:
    """Write the bytes under `key`; return the key actually used (the storage may alter it)."""
    content.seek(0)
    return attachment_storage().save(key, content)


def attachment_file_delete(key: str) -> None:
    """Remove one stored file; a missing file is fine (deletion is idempotent)."""
    try:
        attachment_storage().delete(key)
    except OSError:
        # Never fail the request that already committed; the orphan is logged for cleanup.
        logger.warning("attachment file not deleted", extra={"storage_key": key}, exc_info=True)


def attachment_file_delete_on_commit(key: str) -> None:
    """Remove a stored file once the current transaction commits (never on rollback)."""
    transaction.on_commit(partial(attachment_file_delete, key), robust=True)


def _on_attachment_deleted(sender, instance: Attachment, **kwargs) -> None:
    if instance.storage_key:
        attachment_file_delete_on_commit(instance.storage_key)


# A receiver, not a call in each delete path: a ticket's cascade deletes its attachment rows
# without passing through any attachment service, and the files must follow every one of them.
post_delete.connect(
    _on_attachment_deleted, sender=Attachment, dispatch_uid="tickets.attachment_file_cleanup"
)
