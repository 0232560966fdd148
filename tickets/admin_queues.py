"""Running a queue in the admin's ticket list: the queue views (one list filter, the same
filters the API's ticket list applies), a tag filter, and bulk actions that go through the bulk
service (all or nothing, at most BULK_MAX_TICKETS tickets, with a message naming what was
refused)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse

from config.errors import DomainError
from tenants.admin import admin_actor
from tenants.models import User
from tickets.filters import TicketFilter, filterset_apply
from tickets.models import Priority, Status, Ticket
from tickets.selectors import assignable_members
from tickets.services import ticket_bulk_update
from tickets.services.bulk import BULK_MAX_TICKETS

UNFINISHED = [Status.OPEN, Status.IN_PROGRESS, Status.PENDING]
# queue -> (label, the API list filters that make it)
QUEUES: dict[str, tuple[str, dict]] = {
    "unassigned": ("Unassigned", {"assignee": "none", "status": UNFINISHED}),
    "mine": ("Mine", {"assignee": "me", "status": UNFINISHED}),
    "urgent": ("Urgent", {"urgent": "true"}),
    "breached": ("SLA breached", {"breached": "true", "status": UNFINISHED}),
    "at_risk": ("SLA at risk (due within the hour)", {"sla_state": "at_risk"}),
    "escalated": ("Escalated", {"escalated": "true", "status": UNFINISHED}),
    "waiting": ("Waiting on customer", {"status": [Status.PENDING]}),
}
# Tags offered by the tag filter: those of the most recently updated tickets (bounded, so the
# list page stays fast on a million tickets); any other tag works through ?tag= as well.
TAG_FILTER_SAMPLE = 500
TAG_FILTER_CHOICES = 30


def assignable_users(tenant):
    """Whom the admin offers as assignees: those the service accepts."""
    return assignable_members(tenant=tenant)


def _filtered(request, queryset, filters: dict):
    filterset = TicketFilter(
        data=filters, queryset=queryset, tenant=request.acting_tenant, user=request.user
    )
    return filterset_apply(filterset)


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in QUEUES.items()]

    def queryset(self, request, queryset):
        queue = QUEUES.get(self.value() or "")
        return queryset if queue is None else _filtered(request, queryset, queue[1])


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        recent = model_admin.get_queryset(request).order_by("-updated_at")[:TAG_FILTER_SAMPLE]
        counts: dict[str, int] = {}
        for tags in recent.values_list("tags", flat=True):
            for tag in tags:
                counts[tag] = counts.get(tag, 0) + 1
        common = sorted(counts, key=lambda tag: (-counts[tag], tag))[:TAG_FILTER_CHOICES]
        if self.value() and self.value() not in common:
            common.append(self.value())
        return [(tag, tag) for tag in sorted(common)]

    def queryset(self, request, queryset):
        return queryset if not self.value() else _filtered(request, queryset, {"tag": self.value()})


# --- Bulk actions ---------------------------------------------------------------------------


def _bulk(model_admin, request, queryset, changes: dict, done: str) -> None:
    numbers = sorted(queryset.values_list("number", flat=True))
    if len(numbers) > BULK_MAX_TICKETS:
        messages.error(
            request,
            f"Select at most {BULK_MAX_TICKETS} tickets at a time ({len(numbers)} selected); "
            "nothing was changed.",
        )
        return
    try:
        result = ticket_bulk_update(
            tenant=request.acting_tenant,
            actor=admin_actor(request),
            numbers=numbers,
            changes=changes,
        )
    except (DomainError, ValidationError) as exc:
        text = exc.detail if isinstance(exc, DomainError) else "; ".join(exc.messages)
        messages.error(request, f"Nothing was changed: {text}")
        return
    unchanged = len(numbers) - len(result.updated)
    note = f" ({unchanged} already so)" if unchanged else ""
    messages.success(request, f"{done}: {len(result.updated)} ticket(s){note}.")


def _status_action(status: str, label: str):
    def action(model_admin, request, queryset):
        _bulk(model_admin, request, queryset, {"status": status}, label)

    action.__name__ = f"set_status_{status}"
    return admin.action(description=f"{label} (selected tickets)", permissions=["bulk"])(action)


def _priority_action(priority: str):
    def action(model_admin, request, queryset):
        _bulk(model_admin, request, queryset, {"priority": priority}, f"Priority {priority}")

    action.__name__ = f"set_priority_{priority}"
    return admin.action(description=f"Set priority: {priority}", permissions=["bulk"])(action)


@admin.action(description="Assign to me", permissions=["bulk"])
def assign_to_me(model_admin, request, queryset):
    _bulk(model_admin, request, queryset, {"assignee": request.user}, "Assigned to you")


@admin.action(description="Unassign", permissions=["bulk"])
def unassign(model_admin, request, queryset):
    _bulk(model_admin, request, queryset, {"assignee": None}, "Unassigned")


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), empty_label=None)


@admin.action(description="Assign to…", permissions=["bulk"])
def assign_to(model_admin, request, queryset):
    """An intermediate page: choose the member, then the bulk service assigns them all."""
    form = AssignForm(request.POST if "apply" in request.POST else None)
    form.fields["assignee"].queryset = assignable_users(request.acting_tenant)
    form.fields["assignee"].label_from_instance = lambda user: f"{user.name} <{user.email}>"
    if form.is_bound and form.is_valid():
        assignee = form.cleaned_data["assignee"]
        name = f"{assignee.name} <{assignee.email}>" if assignee.name else assignee.email
        _bulk(model_admin, request, queryset, {"assignee": assignee}, f"Assigned to {name}")
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Assign tickets",
        "form": form,
        "tickets": queryset.order_by("number")[: BULK_MAX_TICKETS + 1],
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "opts": Ticket._meta,
    }
    return TemplateResponse(request, "admin/tickets/assign_tickets.html", context)


BULK_ACTIONS = [
    assign_to_me,
    assign_to,
    unassign,
    *(_priority_action(p) for p in Priority.values),
    _status_action(Status.IN_PROGRESS, "Mark in progress"),
    _status_action(Status.PENDING, "Mark waiting on customer"),
    _status_action(Status.RESOLVED, "Resolve"),
    _status_action(Status.CLOSED, "Close"),
]
