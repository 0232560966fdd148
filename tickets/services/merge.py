"""Merge one ticket into another: the source's conversation and history move to the target."""

from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tenants import events
from tenants.access import Actor
from tenants.models import Tenant
from tenants.services import audit_log_record
from tickets import history, workflow
from tickets.events import TicketMerged, ticket_changed_publish
from tickets.exceptions import MergeTargetClosedError, TicketAlreadyMergedError, TicketClosedError
from tickets.models import Attachment, Comment, Status, Ticket, TicketEvent
from tickets.selectors import ticket_pair_get_for_update
from tickets.sla import sla_refresh


class MergeResult(NamedTuple):
    source: Ticket
    target: Ticket


@transaction.atomic
def ticket_merge(*, tenant: Tenant, actor: Actor, ticket: Ticket, into: Ticket) -> MergeResult:
    """Merge `ticket` into `into`: move its comments, history and attachments, then close it
    with a pointer to the target. Both tickets must belong to `tenant` and be open to change.

    Merging is its own transition: the source closes from any status but closed. Writes a
    history row on each ticket, an audit entry, and publishes `ticket.merged`.
    Raises ValidationError (into itself), NotFoundError (either ticket deleted meanwhile),
    TicketAlreadyMergedError / TicketClosedError (the source) and MergeTargetClosedError (the
    target). Both tickets are locked first, in id order, and every check reads the locked rows:
    of two identical merges one wins, the other finds the source merged.
    """
    if ticket.pk == into.pk:
        raise ValidationError({"into": "A ticket cannot be merged into itself."})
    if ticket.tenant_id != tenant.pk or into.tenant_id != tenant.pk:
        raise ValidationError({"into": "Both tickets must belong to this tenant."})
    source, target = ticket_pair_get_for_update(tenant=tenant, first=ticket.pk, second=into.pk)
    if source.merged_into_id is not None:
        raise TicketAlreadyMergedError(number=source.number, merged_into=source.merged_into_number)
    if workflow.is_final(source.status):
        raise TicketClosedError("A closed ticket cannot be merged.", number=source.number)
    if workflow.is_final(target.status):
        raise MergeTargetClosedError(
            into=target.number,
            merged_into=target.merged_into_number,
        )

    moved = {
        "comments": Comment.objects.filter(ticket=source).update(ticket=target),
        "events": TicketEvent.objects.filter(ticket=source).update(ticket=target),
        "attachments": Attachment.objects.filter(ticket=source).update(ticket=target),
    }

    old_status = source.status
    workflow.close_for_merge(source, now=timezone.now())
    sla_refresh(source)  # closed: its clocks stop (an unanswered one must never breach later)
    source.merged_into = target
    source.version += 1
    source.save(
        update_fields=[
            "status",
            "closed_at",
            "resolved_at",
            "resolution_business_minutes",
            "sla_paused",
            "sla_pauses",
            "first_response_due_at",
            "first_response_target_minutes",
            "merged_into",
            "version",
            "updated_at",
        ]
    )
    target.version += 1
    target.save(update_fields=["version", "updated_at"])
    TicketEvent.objects.bulk_create(
        [
            history.field_changed(source, actor, "status", old_status, Status.CLOSED),
            history.merged_into(source, actor, target),
            history.merged_from(target, actor, source),
        ]
    )
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="ticket.merged",
        target_type="ticket",
        target_id=str(source.number),
        target_label=f"#{source.number}",  # no subject (PII) in the append-only log
        before={"status": old_status},
        after={"status": Status.CLOSED, "merged_into": target.number},
    )
    events.publish(
        TicketMerged(
            number=source.number,
            into=target.number,
            status=source.status,
            moved=moved,
            version=source.version,
        ),
        tenant=tenant,
        actor=actor,
    )
    # The source closed: consumers that follow status changes see it like any other close.
    ticket_changed_publish(
        tenant=tenant, actor=actor, ticket=source, changed=["status"], before={"status": old_status}
    )
    return MergeResult(source=source, target=target)
