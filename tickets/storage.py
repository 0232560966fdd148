"""Where attachment bytes live: Django's storage API under tenant-prefixed random keys.

Keys are `tenants/<tenant id>/attachments/<random hex>/<sanitized name>`: the tenant and the
random part come from the server, the name only from the upload policy's sanitizer
(tickets.files.upload_filename_sanitize), so no user input ever chooses a path. Nothing is
served from MEDIA_URL; the authorized download route is the only way to the bytes.

Files follow their rows: when an Attachment row is deleted (directly, or by the cascade of its
ticket), its file is removed once the transaction commits, and kept if it rolls back.
"""

import logging
import secrets
from functools import partial

from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models.signals import post_delete

from tickets.models import Attachment

logger = logging.getLogger(__name__)


def attachment_storage() -> Storage:
    """Return the storage attachment bytes live in (the default one: MEDIA_ROOT or a bucket)."""
    return storages["default"]


def attachment_key(*, tenant_id: int, filename: str) -> str:
    """Return a fresh storage key for a sanitized filename in a tenant's attachment area."""
    return f"tenants/{int(tenant_id)}/attachments/{secrets.token_hex(16)}/{filename}"


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
