"""Automatic assignment (DESIGN.md §6): round-robin, least-loaded, and critical tickets to
senior agents first.

Candidates are the tenant's active members who may work tickets (agent and above), whose
account is active and who are available. Every automatic pick locks the tenant's
AssignmentCursor row first, so picks take turns: round-robin stays even and least-loaded
sees the load the previous pick left, also when many tickets are assigned at once.
"""

from django.core.exceptions import ValidationError
from django.db.models import Count

from tenants.models import Membership, Tenant, User
from tenants.permissions import roles_with
from tickets.models import AssignmentCursor, Priority, Status, Ticket

ROUND_ROBIN = "round_robin"
LEAST_LOADED = "least_loaded"
STRATEGIES = (ROUND_ROBIN, LEAST_LOADED)
WORKING = (Status.OPEN, Status.IN_PROGRESS)


class NoCandidateError(ValidationError):
    pass


def assignment_candidates(*, tenant: Tenant, seniors_only: bool = False) -> list[Membership]:
    """The members automatic assignment may pick, by user id."""
    members = Membership.objects.filter(
        tenant=tenant,
        is_active=True,
        is_available=True,
        user__is_active=True,
        role__in=roles_with("ticket.write"),
    )
    if seniors_only:
        members = members.filter(is_senior=True)
    return list(members.select_related("user").order_by("user_id"))


def _cursor(tenant: Tenant) -> AssignmentCursor:
    AssignmentCursor.objects.bulk_create(
        [AssignmentCursor(tenant=tenant)], ignore_conflicts=True, unique_fields=["tenant"]
    )
    return AssignmentCursor.objects.select_for_update().get(tenant=tenant)


def _round_robin(candidates: list[Membership], cursor: AssignmentCursor) -> Membership:
    after = [
        m for m in candidates if cursor.last_user_id is None or m.user_id > cursor.last_user_id
    ]
    return after[0] if after else candidates[0]


def _least_loaded(tenant: Tenant, candidates: list[Membership], cursor) -> Membership:
    load = dict(
        Ticket.objects.filter(
            tenant=tenant, status__in=WORKING, assignee_id__in=[m.user_id for m in candidates]
        )
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
    )
    fewest = min(load.get(m.user_id, 0) for m in candidates)
    tied = [m for m in candidates if load.get(m.user_id, 0) == fewest]
    return _round_robin(tied, cursor)  # ties take turns


def assignee_pick(*, tenant: Tenant, ticket: Ticket, strategy: str) -> User:
    """Choose who gets `ticket` by `strategy` (round_robin or least_loaded); critical tickets
    go to available senior agents first when there are any. Raises ValidationError on
    `strategy` when no one can take it."""
    if strategy not in STRATEGIES:
        raise ValidationError(
            {"strategy": f"Unknown strategy {str(strategy)[:32]!r}: use {', '.join(STRATEGIES)}."}
        )
    cursor = _cursor(tenant)  # taken first: picks in this tenant take turns from here
    candidates = []
    if ticket.priority == Priority.CRITICAL:
        candidates = assignment_candidates(tenant=tenant, seniors_only=True)
    candidates = candidates or assignment_candidates(tenant=tenant)
    if not candidates:
        raise NoCandidateError({"strategy": "No available agent can take this ticket."})
    if strategy == ROUND_ROBIN:
        chosen = _round_robin(candidates, cursor)
    else:
        chosen = _least_loaded(tenant, candidates, cursor)
    cursor.last_user_id = chosen.user_id
    cursor.save(update_fields=["last_user_id"])
    return chosen.user
