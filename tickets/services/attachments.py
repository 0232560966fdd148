"""Ticket attachments: uploads checked by the upload policy (tickets.files), deletion.

The bytes live in storage (tickets.storage) under a tenant-prefixed random key; the row keeps
name, type, size and SHA-256. A deleted row's file goes once the transaction commits.
"""

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from tenants.access import Actor
from tenants.models import Tenant
from tenants.validation import boolean_check
from tickets import history, workflow
from tickets.exceptions import TicketClosedError
from tickets.files import upload_check
from tickets.models import Attachment, Comment, Ticket, TicketEvent
from tickets.selectors import attachment_get_for_update, ticket_get_for_update
from tickets.storage import attachment_file_delete, attachment_file_save, attachment_key


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
    from_customer: bool = False,
) -> Attachment:
    """Store an uploaded file on a ticket (optionally on one of its comments); `from_customer`
    marks a file the customer sent (inbound email), which erasing the customer removes.

    Checks, before anything is written, the upload policy (tickets.files.upload_check): not
    empty, at most ATTACHMENT_MAX_BYTES, a type of ATTACHMENT_CONTENT_TYPES whose leading
    bytes match it. The name is sanitized; the key is random under the tenant's prefix.
    Raises ValidationError (`file`, `comment`), NotFoundError (the ticket was deleted
    meanwhile) or TicketClosedError. Adds an "attachment" history row.

    The ticket is locked before the bytes are stored, so a concurrent delete either finished
    (404, nothing stored) or waits and then removes this file with the ticket's others; bytes
    stored for a row that is not written are removed again.
    """
    boolean_check("from_customer", from_customer)
    ticket = ticket_get_for_update(tenant=tenant, pk=ticket.pk)
    if workflow.is_final(ticket.status):
        raise TicketClosedError("A closed ticket takes no attachments; open a follow-up ticket.")
    # Read under the ticket's lock: a merge (which locks it too) may have moved the comment.
    if comment is not None and not ticket.comments.filter(tenant=tenant, pk=comment.pk).exists():
        raise ValidationError({"comment": "No comment of this ticket has this id."})

    upload = upload_check(name=filename, content_type=content_type, file=file)

    key = attachment_file_save(
        key=attachment_key(tenant_id=tenant.pk, filename=upload.name), content=file
    )
    stored = False
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                tenant=tenant,
                ticket=ticket,
                comment=comment,
                filename=upload.name,
                content_type=upload.content_type,
                size=upload.size,
                sha256=upload.sha256,
                storage_key=key,
                uploaded_by=actor.user,
                from_customer=from_customer,
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
