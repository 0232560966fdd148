"""GDPR for customers: export everything held about one, erase their personal data.

What erasure does (irreversible; ticket statistics survive):
- the customer: email becomes `erased-<public_id>@erased.invalid`; name, company, phone and
  crm_id are emptied, metadata becomes {}; tier and created_at stay; erased_at is set and the
  version bumped. From then on the customer cannot change (CustomerErasedError, 409).
- comments the customer wrote, on any ticket: the body becomes "[erased]".
- the customer's tickets: subject and description become "[erased]" (customers write them and
  they routinely carry names, addresses, order numbers), metadata becomes {}, and the history
  values of those three fields become "[erased]". Number, status, priority, category, channel,
  tags, assignee, SLA flags and every timestamp stay, so reports keep counting the tickets.
  Each ticket gets one "personal_data" history row and a version bump.
- attachments from the customer's side (no member uploaded them; on the customer's comment, or
  on their ticket outside any comment): the filename becomes "[erased]", the checksum is
  cleared, the storage key (which embeds the original name) moves to an erased placeholder,
  and the stored bytes are deleted once the transaction commits.
- audit entries name the customer by id only: the audit log is append-only, so personal data
  written there could never be erased.

Erasing again re-checks: whatever is still there (a row a racing write left) is erased and
recorded; when nothing is, the erased customer comes back unchanged, without a second audit
entry or event. Writes that attach data to a customer lock it first (customer_get_for_update),
so they cannot slip past an erasure: they either commit before it and are erased with the
rest, or wait and then find the customer erased (409).
"""

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Case, CharField, F, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from tenants import events
from tenants.access import Actor
from tenants.models import IdempotencyRecord, Tenant
from tenants.services import audit_log_record
from tickets import history, selectors
from tickets.events import CustomerErased
from tickets.exceptions import CustomerErasedError
from tickets.models import Attachment, Comment, Customer, Ticket, TicketEvent
from tickets.services.exports import export_files_remove, exports_hold_off

ERASED = "[erased]"
# Ticket fields written by the customer: erased on their tickets, and in those fields' history.
TICKET_PII_FIELDS = ("subject", "description", "metadata")


def customer_ensure_not_erased(*, customer: Customer) -> None:
    """Raise CustomerErasedError when the customer's personal data has been erased."""
    if customer.erased_at is not None:
        raise CustomerErasedError()


# --- What is held about a customer ------------------------------------------------------------


def _comments_about(*, tenant: Tenant, customer: Customer) -> QuerySet[Comment]:
    # The customer's own comments (wherever a merge moved them) and the team's public replies
    # on their tickets; internal notes and other customers' comments are not theirs.
    return (
        Comment.objects.filter(tenant=tenant)
        .filter(
            Q(author_customer=customer)
            | Q(ticket__requester=customer, public=True, author_customer__isnull=True)
        )
        .select_related("ticket")
        .order_by("created_at", "id")
    )


def _uploaded_on_their_tickets(*, tenant: Tenant, customer: Customer) -> list[str]:
    # Attachment ids from the upload history rows, which keep the requester of the ticket the
    # file was added to even after a merge moved file and row to someone else's ticket.
    values = TicketEvent.objects.filter(
        tenant=tenant, customer=customer, field="attachment", old_value__isnull=True
    ).values_list("new_value", flat=True)
    return [value["id"] for value in values if isinstance(value, dict) and "id" in value]


def _customer_side_attachments(*, tenant: Tenant, customer: Customer) -> QuerySet[Attachment]:
    return Attachment.objects.filter(tenant=tenant, from_customer=True).filter(
        Q(comment__author_customer=customer)
        | Q(comment__isnull=True, ticket__requester=customer)
        | Q(
            comment__isnull=True,
            public_id__in=_uploaded_on_their_tickets(tenant=tenant, customer=customer),
        )
    )


def _author_type(comment: Comment, customer: Customer) -> str:
    if comment.author_customer_id == customer.pk:
        return "customer"
    return "agent" if comment.author_user_id is not None else "system"


def _uploader_type(attachment: Attachment, customer: Customer) -> str:
    if not attachment.from_customer:
        return "agent"
    comment = attachment.comment
    on_customer_comment = comment is not None and comment.author_customer_id == customer.pk
    on_own_ticket = comment is None and attachment.ticket.requester_id == customer.pk
    return "customer" if on_customer_comment or on_own_ticket else "system"


@dataclass(frozen=True)
class CustomerExport:
    """Everything held about one customer; author and uploader types are per row id."""

    customer: Customer
    tickets: list[Ticket]
    comments: list[Comment]
    comment_authors: dict[int, str]
    attachments: list[Attachment]
    attachment_uploaders: dict[int, str]
    exported_at: datetime


@transaction.atomic
def customer_export(*, tenant: Tenant, actor: Actor, customer: Customer) -> CustomerExport:
    """Gather everything held about a customer (profile, tickets, the conversation on them,
    attachment metadata without bytes) and audit the export."""
    tickets = list(
        selectors.ticket_list(tenant=tenant).filter(requester=customer).order_by("number")
    )
    comments = list(_comments_about(tenant=tenant, customer=customer))
    attachments = list(
        Attachment.objects.filter(tenant=tenant)
        .filter(
            Q(comment__in=[c.pk for c in comments])
            | Q(comment__isnull=True, ticket__requester=customer)
        )
        .select_related("ticket", "comment")
        .order_by("created_at", "id")
    )
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="customer.exported",
        target_type="customer",
        target_id=str(customer.public_id),
        after={"tickets": len(tickets), "comments": len(comments), "attachments": len(attachments)},
    )
    return CustomerExport(
        customer=customer,
        tickets=tickets,
        comments=comments,
        comment_authors={c.pk: _author_type(c, customer) for c in comments},
        attachments=attachments,
        attachment_uploaders={a.pk: _uploader_type(a, customer) for a in attachments},
        exported_at=timezone.now(),
    )


# --- Erasure ----------------------------------------------------------------------------------


def _holding(*, tenant: Tenant, customer: Customer) -> Q:
    """The tickets holding data of the customer: theirs, and others their comments, history
    or uploads are on (a merge moves those, and a customer may comment anywhere)."""
    on = {
        "comments": Comment.objects.filter(tenant=tenant, author_customer=customer),
        "history": TicketEvent.objects.filter(tenant=tenant, customer=customer),
        "uploads": _customer_side_attachments(tenant=tenant, customer=customer),
    }
    condition = Q(requester=customer)
    for rows in on.values():
        condition |= Q(pk__in=rows.values("ticket_id"))
    return condition


def customer_tickets_lock(*, tenant: Tenant, customer: Customer) -> list[Ticket]:
    """Lock every ticket holding data of a customer the caller has locked, in the one lock
    order (by id), before rows under them change: writers of those rows (merge, delete, bulk,
    uploads) lock the ticket first too, so nobody waits on us for a row while holding one we
    need. A ticket that a merge gave some of the data to while we waited comes last, out of
    order: it is locked without waiting (TicketBusyError, 409, instead of a deadlock).
    """
    locked = selectors.ticket_list_for_update(
        tenant=tenant, where=_holding(tenant=tenant, customer=customer)
    )
    late = selectors.ticket_list_for_update(
        tenant=tenant,
        where=_holding(tenant=tenant, customer=customer) & ~Q(pk__in=[t.pk for t in locked]),
        nowait=True,
    )
    return [*locked, *late]


def _erase_attachments(*, tenant: Tenant, customer: Customer, leftovers: bool) -> int:
    attachments = _customer_side_attachments(tenant=tenant, customer=customer)
    if leftovers:
        attachments = attachments.exclude(filename=ERASED, sha256="")
    keys = list(attachments.values_list("storage_key", flat=True))
    ids = [str(i) for i in attachments.values_list("public_id", flat=True)]
    # History rows of those files carry their names.
    TicketEvent.objects.filter(tenant=tenant, field="attachment").filter(
        Q(new_value__id__in=ids) | Q(old_value__id__in=ids)
    ).update(old_value=ERASED, new_value=ERASED)
    erased = attachments.update(
        filename=ERASED,
        sha256="",
        storage_key=Concat(
            Value(f"tenants/{tenant.pk}/erased/"), Cast("public_id", output_field=CharField())
        ),
    )
    for key in keys:
        # Only after COMMIT: a rolled-back erase must leave the bytes where the row says.
        transaction.on_commit(partial(default_storage.delete, key), robust=True)
    return erased


def _erase_history(*, tenant: Tenant, customer: Customer, leftovers: bool) -> int:
    rows = TicketEvent.objects.filter(
        # By the row's own customer: a merge may have moved it onto someone else's ticket.
        tenant=tenant,
        customer=customer,
        field__in=TICKET_PII_FIELDS,
    )
    if leftovers:
        rows = rows.exclude(old_value=ERASED, new_value=ERASED)
    return rows.update(old_value=ERASED, new_value=ERASED)


def _erase_tickets(
    *, tenant: Tenant, actor: Actor, customer: Customer, now, leftovers: bool
) -> list[int]:
    tickets = Ticket.objects.filter(tenant=tenant, requester=customer)
    if leftovers:
        tickets = tickets.filter(
            ~Q(subject=ERASED) | ~Q(description__in=("", ERASED)) | ~Q(metadata={})
        )
    rows = sorted(tickets.values_list("pk", "number"), key=lambda row: row[1])
    if not rows:
        return []
    Ticket.objects.filter(tenant=tenant, pk__in=[pk for pk, _ in rows]).update(
        subject=ERASED,
        description=Case(When(description="", then=Value("")), default=Value(ERASED)),
        metadata={},
        version=F("version") + 1,
        updated_at=now,
    )
    TicketEvent.objects.bulk_create(
        [
            history.personal_data_erased(
                tenant_id=tenant.pk, ticket_id=pk, customer=customer, actor=actor, at=now
            )
            for pk, _ in rows
        ]
    )
    return [number for _, number in rows]


def _erase_stored_responses(*, tenant: Tenant, customer: Customer) -> int:
    # Idempotency records keep response bodies (a customer, their tickets) for replays.
    text = Cast("response_body", output_field=TextField())
    deleted, _ = (
        IdempotencyRecord.objects.filter(tenant=tenant)
        .annotate(body_text=text)
        .filter(body_text__contains=str(customer.public_id))
        .delete()
    )
    return deleted


def _erase_profile(customer: Customer, now) -> None:
    customer.email = f"erased-{customer.public_id}@erased.invalid"
    customer.name = customer.company = customer.phone = customer.crm_id = ""
    customer.metadata = {}
    customer.erased_at = now
    customer.version += 1
    customer.save(
        update_fields=[
            "email",
            "name",
            "company",
            "phone",
            "crm_id",
            "metadata",
            "erased_at",
            "version",
            "updated_at",
        ]
    )


@transaction.atomic
def customer_erase(*, tenant: Tenant, actor: Actor, customer: Customer) -> Customer:
    """Erase a customer's personal data, keeping ticket statistics (see the module docstring).

    Irreversible. Every write that attaches data to a customer locks the customer first, so
    it either committed before (and is erased here) or waits and finds the customer erased.
    Repeatable: erasing an erased customer re-checks everything and erases what is still
    there (recorded like an erasure); when nothing is left, the customer comes back unchanged,
    with no new audit entry and no event. Publishes customer.erased; stored attachment bytes
    are deleted after commit. Raises NotFoundError when the customer was deleted meanwhile.
    """
    # Running exports may be copying the data: wait for them; new ones start after us.
    exports_hold_off(tenant=tenant)
    # FOR NO KEY UPDATE: it queues the writes that attach data to the customer (they take the
    # same lock) without conflicting with the key-share locks that every history row's
    # foreign key to the customer takes; FOR UPDATE would deadlock with a ticket write that
    # holds its ticket and inserts history while we wait for that ticket.
    customer = selectors.customer_get_for_update(tenant=tenant, pk=customer.pk, no_key=True)
    repeat = customer.erased_at is not None
    customer_tickets_lock(tenant=tenant, customer=customer)
    now = timezone.now()
    crm_id = customer.crm_id
    numbers = _erase_tickets(
        tenant=tenant, actor=actor, customer=customer, now=now, leftovers=repeat
    )
    comments = Comment.objects.filter(tenant=tenant, author_customer=customer)
    if repeat:
        comments = comments.exclude(body=ERASED)
    comments = comments.update(body=ERASED)
    attachments = _erase_attachments(tenant=tenant, customer=customer, leftovers=repeat)
    history = _erase_history(tenant=tenant, customer=customer, leftovers=repeat)
    if repeat and not (numbers or comments or attachments or history):
        return customer
    _erase_stored_responses(tenant=tenant, customer=customer)
    # Finished exports may hold the customer's rows: their files go too.
    export_files_remove(
        tenant=tenant, reason="Removed after a customer's personal data was erased."
    )
    if not repeat:
        _erase_profile(customer, now)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="customer.erased",
        target_type="customer",
        target_id=str(customer.public_id),
        # A repeat says so: it erased data that had outlived the first erasure.
        before={"erased": True} if repeat else None,
        after={"tickets": len(numbers), "comments": comments, "attachments": attachments},
    )
    # crm_id lets the CRM consumer propagate the erasure (GDPR art. 19); nothing else of the
    # erased data travels.
    events.publish(
        CustomerErased(id=str(customer.public_id), crm_id=crm_id, tickets=numbers),
        tenant=tenant,
        actor=actor,
    )
    return customer
