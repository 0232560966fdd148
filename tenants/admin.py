"""Admin registrations. Tenant-scoped admins change state through services only."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.filters import RelatedOnlyFieldListFilter
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.safestring import mark_safe

from config.api.client import client_ip
from config.errors import DomainError, PreconditionFailedError
from tenants import services
from tenants.access import Actor
from tenants.admin_site import admin_site
from tenants.models import (
    ApiKey,
    AuditLogEntry,
    Membership,
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


class ServiceRefused(Exception):
    """A service refused an admin write; the reason is already in the user's messages."""


VERSION_FIELD = "_version"
STALE_FORM = (
    "Someone changed this {name} after you opened the form (it is now at version {version}); "
    "nothing was saved. The form shows the current values: make your change again."
)


def _error_text(exc: DomainError | ValidationError, model=None) -> str:
    if isinstance(exc, PreconditionFailedError) and model is not None:
        version = (getattr(exc, "extra", None) or {}).get("version", "?")
        return STALE_FORM.format(name=model._meta.verbose_name, version=version)
    if isinstance(exc, DomainError):
        return exc.detail
    return "; ".join(exc.messages)


def form_changes(form) -> dict:
    """The fields the admin user changed, as the services take them (not the version)."""
    return {
        field: form.cleaned_data[field] for field in form.changed_data if field != VERSION_FIELD
    }


def _versioned(model) -> bool:
    return any(field.name == "version" for field in model._meta.concrete_fields)


def _with_version_field(form_class):
    """`form_class` carrying the version the object had when the form was shown (a hidden
    field), so saving a stale form is refused instead of overwriting a newer change."""

    class VersionedForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if self.instance.pk is not None:
                self.fields[VERSION_FIELD].initial = self.instance.version

    VersionedForm.base_fields = {
        **form_class.base_fields,
        VERSION_FIELD: forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0),
    }
    VersionedForm.declared_fields = {
        **getattr(form_class, "declared_fields", {}),
        VERSION_FIELD: VersionedForm.base_fields[VERSION_FIELD],
    }
    VersionedForm.__name__ = form_class.__name__
    return VersionedForm


class KeyedChangeList(ChangeList):
    """The change list linking each row by the model admin's `url_key`, not the database id."""

    def url_for_result(self, result):
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=(quote(self.model_admin.url_key_of(result)),),
            current_app=self.model_admin.admin_site.name,
        )


class TenantScopedAdmin(admin.ModelAdmin):
    """Base for admins of tenant data: scoped querysets and FK choices, capability checks.

    `capabilities` maps view/add/change/delete (and custom action permissions) to a capability
    of tenants.permissions; viewing needs at least supervisor (the admin's entry role) plus the
    "view" capability when one is set. Without an acting tenant nothing is visible.

    Writes go through services: subclasses override save_model/delete_model and call
    `_run_service`, which turns a refused write into an error message and rolls the admin's
    transaction back (no "changed successfully", no django_admin_log row). The bulk
    "delete_selected" action is never offered (it would call QuerySet.delete()).
    """

    capabilities: dict[str, str] = {}
    tenant_scoped = True  # its pages need an acting tenant (admin_site sends staff to choose)
    # What an object's admin URL names it by: its public id (a ticket: its number), never the
    # global database id, which would tell how many rows all tenants hold.
    url_key = "public_id"

    def url_key_of(self, obj) -> str:
        return str(getattr(obj, self.url_key))

    def get_object(self, request, object_id, from_field=None):
        if from_field is not None:
            return super().get_object(request, object_id, from_field)
        try:
            value = self.model._meta.get_field(self.url_key).to_python(object_id)
        except ValidationError:
            return None
        return self.get_queryset(request).filter(**{self.url_key: value}).first()

    def get_changelist(self, request, **kwargs):
        return KeyedChangeList

    def response_add(self, request, obj, post_url_continue=None):
        opts = self.opts
        # The service created the row (save_model copied only its pk onto the form's object):
        # its key is read back from the database.
        stored = self.get_queryset(request).filter(pk=obj.pk).first() or obj
        by_key = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=(quote(self.url_key_of(stored)),),
            current_app=self.admin_site.name,
        )
        by_pk = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=(quote(obj.pk),),
            current_app=self.admin_site.name,
        )
        request._admin_link_fix = (by_pk, by_key)  # the "was added" message links by key
        return super().response_add(request, obj, post_url_continue or by_key)

    def message_user(self, request, message, *args, **kwargs):
        fix = getattr(request, "_admin_link_fix", None)
        if fix is not None and fix[0] in str(message):
            message = mark_safe(str(message).replace(fix[0], fix[1]))  # noqa: S308 — Django's own HTML, one URL swapped
        return super().message_user(request, message, *args, **kwargs)

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        # Optimistic locking for every versioned model: the change form carries the version
        # it showed; save_model passes it to the service as expected_version (a stale form
        # is refused with a message, never a lost update).
        self._versioned_form = _with_version_field(self.form) if _versioned(model) else None

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and self._versioned_form is not None:
            kwargs.setdefault("form", self._versioned_form)
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and _versioned(self.model) and VERSION_FIELD not in fields:
            fields.append(VERSION_FIELD)
        return fields

    @staticmethod
    def expected_version(form) -> int | None:
        """The version the change form showed (None on an add form or a form without it)."""
        return form.cleaned_data.get(VERSION_FIELD)

    def _role(self, request) -> str | None:
        return getattr(request, "acting_role", None)

    def _tenant(self, request):
        return getattr(request, "acting_tenant", None)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        role = self._role(request)
        if not has_capability(role, "admin.access"):
            return False
        return "view" not in self.capabilities or self._can(request, "view")

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
        tenant = self._tenant(request)
        if tenant is None:
            # Outside tenant_context() the fail-closed manager would raise; answer nothing.
            return self.model._base_manager.none()
        return super().get_queryset(request).filter(tenant=tenant)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_list_filter(self, request):
        # RelatedFieldListFilter lists every row of the related table; RelatedOnly lists only
        # the values present in this admin's (scoped) queryset.
        scoped = []
        for spec in super().get_list_filter(request):
            if isinstance(spec, str) and "__" not in spec:
                field = self.model._meta.get_field(spec)
                if field.is_relation:
                    spec = (spec, RelatedOnlyFieldListFilter)
            scoped.append(spec)
        return scoped

    def _scoped_related_queryset(self, related, request):
        tenant = self._tenant(request)
        tenant_pk = getattr(tenant, "pk", None)
        if related is User:
            return User.objects.filter(memberships__tenant_id=tenant_pk).distinct()
        if related is Tenant:
            return Tenant.objects.filter(pk=tenant_pk)
        if related in (ApiKey, Membership) or issubclass(related, TenantModel):
            if tenant is None:
                return related._base_manager.none()
            return related._default_manager.filter(tenant_id=tenant_pk)
        return None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = self._scoped_related_queryset(db_field.related_model, request)
        if queryset is not None:
            # A subclass may narrow further (e.g. only assignable members); never widen.
            narrowed = kwargs.get("queryset")
            kwargs["queryset"] = (
                queryset if narrowed is None else narrowed.filter(pk__in=queryset.values("pk"))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        queryset = self._scoped_related_queryset(db_field.related_model, request)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # Tenant data changes through services only (they audit and check the rules).
        raise NotImplementedError(f"{type(self).__name__} must save through a service")

    def delete_queryset(self, request, queryset):
        # Never QuerySet.delete(): one delete_model (service) per object.
        for obj in queryset:
            self.delete_model(request, obj)

    def _run_service(self, request, func, **kwargs):
        """Call a tenants service as the admin user; raise ServiceRefused if it says no."""
        try:
            return func(tenant=request.acting_tenant, actor=admin_actor(request), **kwargs)
        except (DomainError, ValidationError) as exc:
            messages.error(request, _error_text(exc, self.model))
            raise ServiceRefused from exc

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused:
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused:
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=(object_id,),
                    current_app=self.admin_site.name,
                )
            )


@admin.register(Membership, site=admin_site)
class MembershipAdmin(TenantScopedAdmin):
    # Members join by accepting an invitation (API); the admin changes and removes them.
    capabilities = {"view": "member.read", "change": "member.manage", "delete": "member.manage"}
    list_display = ("email", "role", "is_senior", "is_active", "created_at")
    list_select_related = ("user",)
    list_filter = ("role", "is_senior", "is_active")
    search_fields = ("user__email", "user__name")
    ordering = ("user__email",)
    fields = ("email", "role", "is_senior", "is_active")
    # The user is shown as text: a link would lead to the platform-only user admin.
    readonly_fields = ("email",)

    @admin.display(description="user", ordering="user__email")
    def email(self, obj):
        return obj.user.email

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
    # Keys are created in the API (the raw key is shown once); the admin lists and revokes.
    # Listing them needs api_key.manage, as in the API.
    capabilities = {"view": "api_key.manage", "revoke": "api_key.manage"}
    list_display = ("name", "prefix", "role", "created_at", "last_used_at", "revoked_at")
    list_filter = ("role",)
    search_fields = ("name", "prefix")
    ordering = ("-created_at", "-id")
    readonly_fields = (
        "name",
        "prefix",
        "role",
        "creator",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    fields = readonly_fields
    actions = ["revoke"]

    @admin.display(description="created by")
    def creator(self, obj):
        return obj.created_by.email if obj.created_by_id else "-"

    def has_revoke_permission(self, request):
        return self._can(request, "revoke")

    @admin.action(description="Revoke selected API keys", permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            try:
                self._run_service(request, services.api_key_revoke, api_key=api_key)
            except ServiceRefused:
                continue
            revoked += 1
        self.message_user(request, f"Revoked {revoked} API key(s).", messages.SUCCESS)


@admin.register(AuditLogEntry, site=admin_site)
class AuditLogEntryAdmin(TenantScopedAdmin):
    # Append-only: no add/change/delete capability, for any role.
    capabilities = {"view": "audit.read"}
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
    ordering = ("-created_at", "-id")
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
    """Tenants are created by their first owner (API) and changed through tenants.services."""

    list_display = ("slug", "name", "timezone", "is_active", "created_at")
    search_fields = ("slug", "name")
    list_filter = ("is_active",)
    ordering = ("slug",)
    fields = (
        "slug",
        "name",
        "timezone",
        "settings",
        "is_active",
        "created_at",
        "updated_at",
        "deleted_at",
    )
    # Time zone and settings are validated by the API (PATCH t/<slug>/); here only the name.
    readonly_fields = (
        "slug",
        "timezone",
        "settings",
        "is_active",
        "created_at",
        "updated_at",
        "deleted_at",
    )

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        # The form edited `obj` in memory; the service compares against the stored row.
        current = Tenant.objects.get(pk=obj.pk)
        services.tenant_update(
            tenant=current, actor=admin_actor(request), name=form.cleaned_data.get("name")
        )
