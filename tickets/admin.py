"""The tickets app in the tenant-scoped admin: customers and tickets, changed through services
only; the conversation and history are read-only inlines."""

from django import forms
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from tenants.admin import TenantScopedAdmin, form_changes
from tenants.admin_site import admin_site
from tenants.permissions import has_capability
from tenants.validation import timezone_names
from tickets import history, selectors, services, workflow
from tickets.admin_queues import BULK_ACTIONS, QueueFilter, TagFilter, assignable_users
from tickets.dashboard import dashboard_figures
from tickets.models import (
    Attachment,
    BusinessHours,
    Comment,
    Customer,
    Priority,
    SlaPolicy,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.services import sla_settings
from tickets.sla import PRIORITIES, TARGETS, sla_timeline


class CustomerAdminForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ("email", "name", "tier", "company", "phone", "crm_id")

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()  # stored lowercased


@admin.register(Customer, site=admin_site)
class CustomerAdmin(TenantScopedAdmin):
    form = CustomerAdminForm
    # Customers are created in the API; erasing is the GDPR route's (admin+, audited).
    capabilities = {"view": "customer.read", "change": "customer.write"}
    list_display = ("email", "name", "tier", "company", "erased", "created_at")
    list_filter = ("tier",)
    search_fields = ("email", "name", "company")
    ordering = ("-created_at", "-id")
    fields = (
        "email",
        "name",
        "tier",
        "company",
        "phone",
        "crm_id",
        "metadata",
        "version",
        "erased_at",
        "created_at",
        "updated_at",
    )
    # metadata has a size cap the API enforces; here it is shown, not edited.
    readonly_fields = ("metadata", "version", "erased_at", "created_at", "updated_at")

    @admin.display(boolean=True, description="erased", ordering="erased_at")
    def erased(self, obj):
        return obj.erased_at is not None

    def has_change_permission(self, request, obj=None):
        # An erased customer is read-only for good (the service refuses too).
        if obj is not None and obj.erased_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        self._run_service(
            request,
            services.customer_update,
            customer=obj,
            expected_version=self.expected_version(form),
            **form_changes(form),
        )


class _ReadOnlyInline(admin.TabularInline):
    """A ticket's rows shown under it: viewable with the ticket, never written here (Django
    treats view-only inline forms as unchanged, so saving the ticket saves none of them)."""

    extra = 0
    can_delete = False
    show_change_link = False
    template = "admin/tickets/readonly_tabular.html"

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_view_permission(self, request, obj=None):
        role = getattr(request, "acting_role", None)
        return has_capability(role, "admin.access") and has_capability(role, "ticket.read")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        tenant = getattr(request, "acting_tenant", None)
        if tenant is None:
            return self.model._base_manager.none()
        return super().get_queryset(request).filter(tenant=tenant)


class CommentInline(_ReadOnlyInline):
    model = Comment
    fields = ("created_at", "author", "public", "body")
    ordering = ("created_at", "id")

    @admin.display(description="author")
    def author(self, obj):
        if obj.author_customer_id is not None:
            return f"customer {obj.author_customer.email}"
        return obj.author_user.email if obj.author_user_id else "system"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author_user", "author_customer")


class AttachmentInline(_ReadOnlyInline):
    model = Attachment
    fields = ("created_at", "filename", "content_type", "size")
    ordering = ("created_at", "id")


def _people(request) -> dict[str, str]:
    """The acting tenant's members by public id, as "name <email>" (one query per request)."""
    people = getattr(request, "_admin_people", None)
    if people is None:
        people = request._admin_people = selectors.member_names(tenant=request.acting_tenant)
    return people


def history_value(value, field: str, people: dict[str, str]) -> str:
    """A history value as the admin shows it (times in the tenant's timezone)."""
    return history.value_text(
        value, field, people, moment=lambda at: date_format(localtime(at), "DATETIME_FORMAT")
    )


class TicketEventInline(_ReadOnlyInline):
    model = TicketEvent
    verbose_name_plural = "history"
    fields = ("created_at", "by", "what", "before", "after")
    ordering = ("created_at", "id")

    def get_formset(self, request, obj=None, **kwargs):
        self._request = request  # the display methods below read the tenant's people
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="by")
    def by(self, obj):
        return obj.actor_label

    @admin.display(description="change")
    def what(self, obj):
        return obj.field.replace("_", " ")

    @admin.display(description="before")
    def before(self, obj):
        return history_value(obj.old_value, obj.field, _people(self._request))

    @admin.display(description="after")
    def after(self, obj):
        return history_value(obj.new_value, obj.field, _people(self._request))


class TicketAdminForm(forms.ModelForm):
    reply = forms.CharField(
        label="Add to the conversation",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Saved with the ticket: an internal note, or a reply to the customer.",
    )
    reply_public = forms.BooleanField(
        label="Send to the customer as a public reply (emailed)",
        required=False,
        help_text="Unchecked: an internal note only the team sees.",
    )

    class Meta:
        model = Ticket
        # The editable ones (TicketAdmin.fields minus its readonly_fields); the admin passes
        # its own list to the form factory.
        fields = ("subject", "description", "status", "priority", "category", "channel")


CONVERSATION_FIELDS = ("reply", "reply_public")


@admin.register(Ticket, site=admin_site)
class TicketAdmin(TenantScopedAdmin):
    # Tickets are opened in the API; the admin changes them through ticket_update, so status
    # moves are checked and every change leaves a history row.
    capabilities = {"view": "ticket.read", "change": "ticket.write", "bulk": "ticket.bulk"}
    url_key = "number"  # /admin/tickets/ticket/42/change/ is ticket #42 of the acting tenant
    list_display = (
        "number",
        "subject",
        "status",
        "priority",
        "requester_display",
        "assignee_display",
        "sla_due",
        "sla_breached",
        "urgent",
        "updated_at",
    )
    list_display_links = ("number", "subject")
    list_select_related = ("assignee", "requester")
    list_filter = (
        QueueFilter,
        "status",
        "priority",
        "assignee",
        TagFilter,
        "category",
        "channel",
        "sla_breached",
        "escalated",
    )
    actions = BULK_ACTIONS
    search_fields = ("number__exact", "subject", "requester__email")
    ordering = ("-created_at", "-id")
    form = TicketAdminForm
    fields = (
        "number",
        "requester_display",
        "subject",
        "description",
        "status",
        "priority",
        "category",
        "channel",
        "assignee",
        "tags",
        "escalated",
        "escalation_level",
        "first_response_due_at",
        "first_response_at",
        "first_response_breached_at",
        "resolution_due_at",
        "resolution_breached_at",
        "sla_paused",
        "sla_targets",
        "sla_clock",
        "resolved_at",
        "closed_at",
        "merged_into",
        "version",
        "created_at",
        "updated_at",
        *CONVERSATION_FIELDS,
    )
    readonly_fields = (
        "sla_targets",
        "sla_clock",
        "number",
        "requester_display",
        "escalated",
        "escalation_level",
        "first_response_due_at",
        "first_response_breached_at",
        "resolution_due_at",
        "resolution_breached_at",
        "sla_paused",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "merged_into",
        "version",
        "created_at",
        "updated_at",
    )
    inlines = (CommentInline, AttachmentInline, TicketEventInline)

    def has_bulk_permission(self, request):
        return self._can(request, "bulk")

    @admin.display(description="requester", ordering="requester__email")
    def requester_display(self, obj):
        if obj.requester.erased_at is not None:
            return "an erased customer"
        requester = obj.requester
        return f"{requester.name} <{requester.email}>" if requester.name else requester.email

    @admin.display(description="assignee", ordering="assignee__name")
    def assignee_display(self, obj):
        return (obj.assignee.name or obj.assignee.email) if obj.assignee else "—"

    @admin.display(description="SLA due")
    def sla_due(self, obj):
        """The earlier of the running clocks (none once answered and resolved, or paused)."""
        running = [
            due
            for due, done in (
                (obj.first_response_due_at, obj.first_response_at),
                (obj.resolution_due_at, obj.resolved_at),
            )
            if due is not None and done is None
        ]
        if not running or obj.sla_paused or obj.status in (Status.RESOLVED, Status.CLOSED):
            return "—"
        return date_format(localtime(min(running)), "DATETIME_FORMAT")

    @admin.display(description="urgent", boolean=True)
    def urgent(self, obj):
        return (
            obj.status in (Status.OPEN, Status.IN_PROGRESS)
            and obj.assignee_id is None
            and obj.priority in (Priority.HIGH, Priority.CRITICAL)
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            # Only whom the service accepts: active members who may work tickets.
            kwargs["queryset"] = assignable_users(request.acting_tenant)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and "status" in form.base_fields:
            # Only the moves the workflow allows from the ticket's current status.
            allowed = {obj.status, *workflow.TRANSITIONS.get(obj.status, ())}
            field = form.base_fields["status"]
            field.choices = [(value, label) for value, label in Status.choices if value in allowed]
        return form

    @admin.display(description="SLA targets")
    def sla_targets(self, obj):
        first, resolution = obj.first_response_target_minutes, obj.resolution_target_minutes
        if first is None and resolution is None:
            return "-"
        return f"first response {first} min, resolution {resolution} min (business time)"

    @admin.display(description="SLA timeline")
    def sla_clock(self, obj):
        return format_html_join(
            mark_safe("<br>"),
            "{}: {}",
            (
                (
                    date_format(localtime(item["at"]), "DATETIME_FORMAT"),
                    item["event"].replace("_", " "),
                )
                for item in sla_timeline(obj)
            ),
        )

    def save_model(self, request, obj, form, change):
        changes = form_changes(form)
        reply = changes.pop("reply", "")
        public = changes.pop("reply_public", False)
        self._run_service(
            request,
            services.ticket_update,
            ticket=obj,
            expected_version=self.expected_version(form),
            **changes,
        )
        if reply and reply.strip():
            self._run_service(
                request, services.comment_create, ticket=obj, body=reply, public=public
            )

    def history_view(self, request, object_id, extra_context=None):
        # One history: the ticket's own (every change, by whom, from the API, email, the
        # admin…), shown on its page — not Django's log of admin edits only.
        page = reverse("admin:tickets_ticket_change", args=[object_id])
        return HttpResponseRedirect(f"{page}#events-group")


# --- SLA settings -----------------------------------------------------------------------------

_TARGET_FIELDS = tuple(f"{target}_{p}" for target in TARGETS for p in PRIORITIES)


class SlaPolicyAdminForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = ("name", "tier", *_TARGET_FIELDS)
        help_texts = {field: "Business minutes." for field in _TARGET_FIELDS}


@admin.register(SlaPolicy, site=admin_site)
class SlaPolicyAdmin(TenantScopedAdmin):
    """The tenant's SLA targets (the default policy and per-tier overrides), changed through
    the SLA settings services: audited, and unfinished tickets are recomputed."""

    form = SlaPolicyAdminForm
    capabilities = {
        "view": "sla.read",
        "add": "sla.manage",
        "change": "sla.manage",
        "delete": "sla.manage",
    }
    list_display = ("name", "tier", "first_response_critical", "resolution_critical", "version")
    ordering = ("created_at", "id")
    fieldsets = (
        (None, {"fields": ("name", "tier")}),
        ("First response (minutes)", {"fields": _TARGET_FIELDS[:4]}),
        ("Resolution (minutes)", {"fields": _TARGET_FIELDS[4:]}),
    )

    def get_readonly_fields(self, request, obj=None):
        return ("tier",) if obj is not None else ()  # a policy's tier is what identifies it

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)

    def get_queryset(self, request):
        if getattr(request, "acting_tenant", None) is not None:
            sla_settings.sla_policy_default(tenant=request.acting_tenant)
        return super().get_queryset(request)

    @staticmethod
    def _targets(form) -> dict:
        data = form.cleaned_data
        return {
            f"{target}_minutes": {
                str(p): data[f"{target}_{p}"]
                for p in PRIORITIES
                if f"{target}_{p}" in form.changed_data or form.instance.pk is None
            }
            for target in TARGETS
        }

    def save_model(self, request, obj, form, change):
        if change:
            changes = self._targets(form)
            if "name" in form.changed_data:
                changes["name"] = form.cleaned_data["name"]
            self._run_service(
                request,
                sla_settings.sla_policy_update,
                policy=obj,
                expected_version=self.expected_version(form),
                **changes,
            )
        else:
            created = self._run_service(
                request,
                sla_settings.sla_policy_create,
                tier=form.cleaned_data["tier"],
                name=form.cleaned_data["name"],
                **self._targets(form),
            )
            obj.pk = created.pk  # the admin's redirect and log entry name the stored row

    def delete_model(self, request, obj):
        self._run_service(request, sla_settings.sla_policy_delete, policy=obj)


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _intervals_text(intervals: list[dict]) -> str:
    return "\n".join(f"{_DAYS[i['weekday']]} {i['start']}-{i['end']}" for i in intervals)


def _holidays_text(holidays: list[dict]) -> str:
    return "\n".join(f"{h['date']} {h['name']}".rstrip() for h in holidays)


class BusinessHoursAdminForm(forms.ModelForm):
    """Intervals and holidays as lines a person can type: "mon 09:00-17:00", "2026-12-25
    Christmas"; the service checks them like the API's."""

    intervals_text = forms.CharField(
        label="Open intervals",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text='One per line: "mon 09:00-12:00" (mon … sun, local time, "24:00" is '
        "midnight); several a day allowed. Empty: open around the clock.",
    )
    holidays_text = forms.CharField(
        label="Holidays",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text='One per line: "2026-12-25 Christmas Day" (closed all day, local date).',
    )

    class Meta:
        model = BusinessHours
        fields = ("timezone",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].widget = forms.Select(
            choices=[(name, name) for name in sorted(timezone_names())]
        )
        if self.instance.pk is not None:
            self.initial["intervals_text"] = _intervals_text(self.instance.intervals)
            self.initial["holidays_text"] = _holidays_text(self.instance.holidays)

    def clean_intervals_text(self):
        intervals = []
        for number, line in enumerate(self.cleaned_data["intervals_text"].splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split()
            times = parts[1].split("-") if len(parts) == 2 else []
            if len(times) != 2 or parts[0].lower()[:3] not in _DAYS:
                raise forms.ValidationError(f'Line {number}: write "mon 09:00-17:00".')
            day = _DAYS.index(parts[0].lower()[:3])
            intervals.append({"weekday": day, "start": times[0], "end": times[1]})
        return intervals

    def clean_holidays_text(self):
        holidays = []
        for line in self.cleaned_data["holidays_text"].splitlines():
            if line.strip():
                day, _, name = line.strip().partition(" ")
                holidays.append({"date": day, "name": name.strip()})
        return holidays


@admin.register(BusinessHours, site=admin_site)
class BusinessHoursAdmin(TenantScopedAdmin):
    """The tenant's business calendar (one per tenant), through the SLA settings services."""

    form = BusinessHoursAdminForm
    capabilities = {"view": "sla.read", "add": "sla.manage", "change": "sla.manage"}
    list_display = ("__str__", "open_intervals", "holiday_count", "version", "updated_at")
    fields = ("timezone", "intervals_text", "holidays_text")

    @admin.display(description="open intervals")
    def open_intervals(self, obj):
        return len(obj.intervals) or "24/7"

    @admin.display(description="holidays")
    def holiday_count(self, obj):
        return len(obj.holidays)

    def has_add_permission(self, request):
        tenant = getattr(request, "acting_tenant", None)
        if tenant is None or BusinessHours.objects.filter(tenant=tenant).exists():
            return False  # one calendar per tenant: change it
        return super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # clear the intervals for 24/7

    def save_model(self, request, obj, form, change):
        saved = self._run_service(
            request,
            sla_settings.business_hours_update,
            expected_version=self.expected_version(form),
            timezone=form.cleaned_data["timezone"],
            intervals=form.cleaned_data["intervals_text"],
            holidays=form.cleaned_data["holidays_text"],
        )
        obj.pk = saved.pk


def _dashboard_panel(request):
    """The queue's figures on the admin index, for those who may read tickets."""
    if not has_capability(getattr(request, "acting_role", None), "ticket.read"):
        return None
    return "admin/tickets/dashboard.html", dashboard_figures(tenant=request.acting_tenant)


admin_site.index_panel_register(_dashboard_panel)
