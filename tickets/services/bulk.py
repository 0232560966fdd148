"""Change many tickets at once, all or nothing, through ticket_update's rules."""

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction

from tenants.access import Actor
from tenants.models import Tenant
from tenants.validation import fields_clean
from tickets import workflow
from tickets.exceptions import InvalidStatusTransitionError, TicketClosedError
from tickets.models import Status, Ticket
from tickets.selectors import ticket_list_for_update
from tickets.services.tickets import assignee_check, ticket_update_locked
from tickets.sla import sla_config_load
from tickets.validation import MAX_TAGS, TICKET_UPDATE_RULES, tags_check

BULK_MAX_TICKETS = 100
BULK_FIELDS = ("status", "priority", "assignee", "tags_add", "tags_remove")


class BulkUpdateResult(NamedTuple):
    tickets: list[Ticket]  # every requested ticket, in request order
    updated: list[int]  # numbers of the tickets that actually changed


def _numbers_text(numbers: Iterable[int]) -> str:
    return ", ".join(f"#{number}" for number in numbers)


def _status_check(field: str, value: Any) -> str:
    if value not in Status.values:
        raise ValidationError({field: "Unknown status."})
    return value


_BULK_RULES = {
    "status": _status_check,
    "priority": TICKET_UPDATE_RULES["priority"],
    "assignee": TICKET_UPDATE_RULES["assignee"],
    "tags_add": tags_check,
    "tags_remove": tags_check,
}


def _validate_request(
    tenant: Tenant, numbers: list[int], changes: dict[str, Any]
) -> tuple[dict[str, Any], list[str], set[str]]:
    if not 1 <= len(numbers) <= BULK_MAX_TICKETS:
        raise ValidationError({"numbers": f"Give between 1 and {BULK_MAX_TICKETS} tickets."})
    if not isinstance(changes, dict):
        raise ValidationError({"changes": "Must be a mapping of field names to values."})
    unknown = sorted(set(changes) - set(BULK_FIELDS))
    if unknown:
        raise ValidationError({key: "Unknown field." for key in unknown})
    if not changes:
        raise ValidationError({"changes": "Give at least one change."})
    changes = fields_clean(changes, _BULK_RULES)
    if "assignee" in changes:
        assignee_check(tenant=tenant, assignee=changes["assignee"])
    tags_add = list(dict.fromkeys(changes.get("tags_add") or []))
    tags_remove = set(changes.get("tags_remove") or [])
    both = [tag for tag in tags_add if tag in tags_remove]
    if both:
        raise ValidationError(
            {"tags_remove": f"Tags cannot be added and removed at once: {', '.join(both)}."}
        )
    return changes, tags_add, tags_remove


def _ticket_changes(
    ticket: Ticket, changes: dict[str, Any], tags_add: list[str], tags_remove: set[str]
) -> dict[str, Any]:
    """The subset of the bulk changes that would really change this ticket."""
    diff = {
        field: changes[field]
        for field in ("status", "priority", "assignee")
        if field in changes and getattr(ticket, field) != changes[field]
    }
    if tags_add or tags_remove:
        tags = [tag for tag in ticket.tags if tag not in tags_remove]
        tags += [tag for tag in tags_add if tag not in tags]
        if tags != ticket.tags:
            diff["tags"] = tags
    return diff


@transaction.atomic
def ticket_bulk_update(
    *, tenant: Tenant, actor: Actor, numbers: Sequence[int], changes: dict[str, Any]
) -> BulkUpdateResult:
    """Apply status, priority, assignee and tag changes to up to 100 tickets, all or nothing.

    `changes` holds any of status, priority, assignee (a User or None), tags_add, tags_remove.
    Each ticket goes through ticket_update's rules (transitions, assignee rules, one history row per
    changed field, domain events); tickets the changes would leave as they are are untouched.
    Every check runs before the first write and names all offending tickets: ValidationError
    for unknown numbers or too many tags, TicketClosedError for closed tickets that would
    change, InvalidStatusTransitionError for illegal moves.
    """
    if not isinstance(numbers, list | tuple) or any(
        type(number) is not int or number < 1 for number in numbers
    ):
        raise ValidationError({"numbers": "Give a list of ticket numbers (positive integers)."})
    numbers = list(dict.fromkeys(numbers))
    changes, tags_add, tags_remove = _validate_request(tenant, numbers, changes)
    # In id order, the one lock order of tickets: no deadlock with other bulks, merges,
    # deletes or erasures; every check below reads the locked rows.
    by_number = {t.number: t for t in ticket_list_for_update(tenant=tenant, numbers=numbers)}
    missing = [number for number in numbers if number not in by_number]
    if missing:
        raise ValidationError(
            {"numbers": f"No ticket in this tenant has the number(s) {_numbers_text(missing)}."}
        )

    plans = {
        number: _ticket_changes(by_number[number], changes, tags_add, tags_remove)
        for number in numbers
    }
    too_many_tags = [n for n, diff in plans.items() if len(diff.get("tags", ())) > MAX_TAGS]
    if too_many_tags:
        raise ValidationError(
            {
                "tags_add": f"Tickets {_numbers_text(too_many_tags)} would have more than "
                f"{MAX_TAGS} tags."
            }
        )
    closed = [n for n, diff in plans.items() if diff and workflow.is_final(by_number[n].status)]
    if closed:
        raise TicketClosedError(
            f"Closed tickets cannot change: {_numbers_text(closed)}.", extra={"numbers": closed}
        )
    if "status" in changes:
        target = changes["status"]
        illegal = [
            n
            for n, diff in plans.items()
            if "status" in diff and not workflow.can_move(by_number[n].status, target)
        ]
        if illegal:
            raise InvalidStatusTransitionError(
                f"These tickets cannot move to {target}: {_numbers_text(illegal)}.",
                extra={
                    "to": target,
                    "numbers": illegal,
                    "from": {str(n): by_number[n].status for n in illegal},
                },
            )

    updated = set()
    # Due times follow a status or priority change: the tenant's SLA configuration once.
    moves_clocks = any({"status", "priority"} & set(diff) for diff in plans.values())
    sla_config = sla_config_load() if moves_clocks else None
    for ticket in sorted(by_number.values(), key=lambda t: t.pk):
        diff = plans[ticket.number]
        if not diff:
            continue
        by_number[ticket.number] = ticket_update_locked(
            tenant=tenant, actor=actor, ticket=ticket, sla_config=sla_config, **diff
        )
        updated.add(ticket.number)
    return BulkUpdateResult(
        tickets=[by_number[number] for number in numbers],
        updated=[number for number in numbers if number in updated],
    )
