"""The tickets app in the tenant-scoped admin: customers and tickets, changed through services
only; the conversation and history are read-only inlines."""

from django import forms
from django.contrib import admin

from tenants.admin import TenantScopedAdmin
from tenants.admin_site import admin_site
from tenants.permissions import has_capability
from tickets import services
from tickets.models import Attachment, Comment, Customer, Ticket, TicketEvent


def _changes(form) -> dict:
    return {field: form.cleaned_data[field] for field in form.changed_data}


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
        self._run_service(request, services.customer_update, customer=obj, **_changes(form))


class _ReadOnlyInline(admin.TabularInline):
    """A ticket's rows shown under it: viewable with the ticket, never written here (Django
    treats view-only inline forms as unchanged, so saving the ticket saves none of them)."""

    extra = 0
    can_delete = False
    show_change_link = False

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


class TicketEventInline(_ReadOnlyInline):
    model = TicketEvent
    verbose_name_plural = "history"
    fields = ("created_at", "actor_label", "field", "old_value", "new_value")
    ordering = ("created_at", "id")


@admin.register(Ticket, site=admin_site)
class TicketAdmin(TenantScopedAdmin):
    # Tickets are opened in the API; the admin changes them through ticket_update, so status
    # moves are checked and every change leaves a history row.
    capabilities = {"view": "ticket.read", "change": "ticket.write"}
    list_display = (
        "number",
        "subject",
        "status",
        "priority",
        "assignee",
        "first_response_due_at",
        "resolution_due_at",
        "sla_breached",
        "escalation_level",
        "created_at",
    )
    list_display_links = ("number", "subject")
    list_select_related = ("assignee",)
    list_filter = ("status", "priority", "channel", "sla_breached", "escalated")
    search_fields = ("number__exact", "subject", "requester__email")
    ordering = ("-created_at", "-id")
    fields = (
        "number",
        "requester",
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
        "resolved_at",
        "closed_at",
        "merged_into",
        "version",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "number",
        "requester",
        "tags",
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

    def save_model(self, request, obj, form, change):
        self._run_service(request, services.ticket_update, ticket=obj, **_changes(form))
