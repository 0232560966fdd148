"""Admin registrations. Tenant-scoped admins change state through services only."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError

from config.errors import DomainError
from tenants import services
from tenants.access import Actor
from tenants.admin_site import admin_site
from tenants.api.base import client_ip
from tenants.models import (
    ROLE_RANK,
    ApiKey,
    AuditLogEntry,
    Membership,
    Role,
    Tenant,
    TenantModel,
    User,
)
from tenants.permissions import has_capability


def admin_actor(request) -> Actor:
    return Actor(
        user=request.user,
        role=getattr(request, "acting_role", None),
        ip=client_ip(request),
        request_id=getattr(request, "request_id", ""),
    )


class TenantScopedAdmin(admin.ModelAdmin):
    """Base for admins of tenant data: scoped querysets and FK choices, capability checks.

    `capabilities` maps add/change/delete to a capability of tenants.permissions; viewing needs
    supervisor (the admin's entry role). Without an acting tenant nothing is visible.
    """

    capabilities: dict[str, str] = {}

    def _role(self, request) -> str | None:
        return getattr(request, "acting_role", None)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        role = self._role(request)
        return role is not None and ROLE_RANK[role] >= ROLE_RANK[Role.SUPERVISOR]

    def _can(self, request, op: str) -> bool:
        capability = self.capabilities.get(op)
        return capability is not None and has_capability(self._role(request), capability)

    def has_add_permission(self, request):
        return self._can(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._can(request, "change")

    def has_delete_permission(self, request, obj=None):
        return self._can(request, "delete")

    def get_queryset(self, request):
        tenant = getattr(request, "acting_tenant", None)
        queryset = self.model._default_manager.get_queryset()
        if tenant is None:
            return queryset.none()
        return queryset.filter(tenant=tenant)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        tenant = getattr(request, "acting_tenant", None)
        related = db_field.related_model
        if related is User:
            kwargs["queryset"] = User.objects.filter(memberships__tenant=tenant).distinct()
        elif related is Tenant:
            kwargs["queryset"] = Tenant.objects.filter(pk=getattr(tenant, "pk", None))
        elif related is ApiKey or issubclass(related, TenantModel):
            kwargs["queryset"] = related._default_manager.filter(tenant=tenant)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # Stamp the acting tenant; a posted tenant id is never trusted.
        obj.tenant = request.acting_tenant
        super().save_model(request, obj, form, change)

    def _run_service(self, request, func, **kwargs):
        try:
            return func(tenant=request.acting_tenant, actor=admin_actor(request), **kwargs)
        except (DomainError, ValidationError) as exc:
            messages.error(request, getattr(exc, "detail", None) or "; ".join(exc.messages))
            return None


@admin.register(Membership, site=admin_site)
class MembershipAdmin(TenantScopedAdmin):
    capabilities = {"change": "member.manage", "delete": "member.manage"}
    list_display = ("user", "role", "is_senior", "is_active", "created_at")
    list_filter = ("role", "is_senior", "is_active")
    search_fields = ("user__email", "user__name")
    fields = ("user", "role", "is_senior", "is_active")
    readonly_fields = ("user",)

    def save_model(self, request, obj, form, change):
        self._run_service(
            request,
            services.member_update,
            membership=obj,
            role=form.cleaned_data.get("role"),
            is_senior=form.cleaned_data.get("is_senior"),
            is_active=form.cleaned_data.get("is_active"),
        )

    def delete_model(self, request, obj):
        self._run_service(request, services.member_remove, membership=obj)


@admin.register(ApiKey, site=admin_site)
class ApiKeyAdmin(TenantScopedAdmin):
    capabilities = {"change": "api_key.manage"}
    list_display = ("name", "prefix", "role", "created_at", "last_used_at", "revoked_at")
    list_filter = ("role",)
    search_fields = ("name", "prefix")
    readonly_fields = (
        "name",
        "prefix",
        "role",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    fields = readonly_fields
    actions = ["revoke"]

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke(self, request, queryset):
        for api_key in queryset.filter(revoked_at__isnull=True):
            self._run_service(request, services.api_key_revoke, api_key=api_key)


@admin.register(AuditLogEntry, site=admin_site)
class AuditLogEntryAdmin(TenantScopedAdmin):
    capabilities: dict[str, str] = {}
    list_display = (
        "created_at",
        "actor_label",
        "action",
        "target_type",
        "target_label",
        "ip_address",
    )
    list_filter = ("action", "target_type")
    search_fields = ("actor_label", "target_label", "target_id")
    date_hierarchy = None
    readonly_fields = (
        "created_at",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "before",
        "after",
        "ip_address",
        "request_id",
    )
    fields = readonly_fields


class PlatformOnlyAdmin(admin.ModelAdmin):
    """Global control tables: platform staff (superusers) only."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User, site=admin_site)
class UserAdmin(PlatformOnlyAdmin, DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "name", "is_active", "is_superuser", "date_joined")
    search_fields = ("email", "name")
    fieldsets = (
        (None, {"fields": ("email", "password", "name")}),
        (
            "Status",
            {"fields": ("is_active", "is_staff", "is_superuser", "last_login", "date_joined")},
        ),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),
    )
    filter_horizontal = ()
    list_filter = ("is_active", "is_superuser")


@admin.register(Tenant, site=admin_site)
class TenantAdmin(PlatformOnlyAdmin):
    list_display = ("slug", "name", "timezone", "is_active", "created_at")
    search_fields = ("slug", "name")
    list_filter = ("is_active",)
    readonly_fields = ("slug", "created_at", "updated_at", "deleted_at")
