"""The Django admin, scoped to one tenant at a time.

Supervisors, admins and owners of a tenant log in with their account (no is_staff needed) and
act for one tenant, chosen on /admin/acting-tenant/ and kept in the session. Every admin view
runs inside a transaction + tenant_context() of that tenant, rendering included, so querysets,
FK choices, autocomplete and list filters all see that tenant only — and RLS stands behind it.
"""

from functools import update_wrapper
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from config.api.client import client_ip
from config.logging import request_tenant_id_var
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.forms import LoginQuotaMixin, confirm_email_verified
from tenants.models import Membership, Role, Tenant
from tenants.permissions import roles_with
from tenants.services.audit import audit_log_record

SESSION_KEY = "acting_tenant_id"


def admin_memberships(user):
    """Memberships that let `user` into the admin (supervisor or above, active tenant)."""
    return Membership.objects.select_related("tenant").filter(
        user=user, is_active=True, tenant__is_active=True, role__in=roles_with("admin.access")
    )


def acting_access(request) -> tuple[Tenant, str] | None:
    """Return (tenant, role) the admin user acts as, re-validated on every request."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return None
    tenant_id = request.session.get(SESSION_KEY)
    memberships = admin_memberships(user)
    if tenant_id is not None:
        membership = memberships.filter(tenant_id=tenant_id).first()
        if membership is not None:
            return membership.tenant, membership.role
        if user.is_superuser:
            tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
            return (tenant, Role.OWNER) if tenant else None
        return None
    only = list(memberships[:2])
    if len(only) == 1:
        return only[0].tenant, only[0].role
    return None


class TenantAdminLoginForm(LoginQuotaMixin, AdminAuthenticationForm):
    """Email + password of a supervisor/admin/owner of an active tenant (or a superuser).

    No is_staff check. A right password without admin access gets the same message as a wrong
    one (as Django's admin does for non-staff), so the form never confirms credentials to
    someone who could not use them. An unverified address is refused as in POST auth/token/.
    """

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter the correct %(username)s and password of an account with supervisor "
            "access to a tenant. Note that both fields may be case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user):
        if not user.is_active or not (user.is_superuser or admin_memberships(user).exists()):
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
        confirm_email_verified(user)


def _platform_access_record(request, tenant_id: int) -> None:
    """Platform staff acting in a tenant they are not a member of: say so in its audit log."""
    user = request.user
    if not user.is_superuser or admin_memberships(user).filter(tenant_id=tenant_id).exists():
        return
    tenant = Tenant.objects.get(pk=tenant_id)
    audit_log_record(
        tenant=tenant,
        actor=Actor(
            user=user, ip=client_ip(request), request_id=getattr(request, "request_id", "")
        ),
        action="admin.platform_staff_access",
        target_type="tenant",
        target_id=tenant.slug,
        target_label=tenant.name,
    )


class ActingTenantForm(forms.Form):
    tenant = forms.ChoiceField()


class TenantAdminSite(admin.AdminSite):
    site_header = "Tenantdesk"
    site_title = "Tenantdesk admin"
    index_title = "Tenant administration"
    login_form = TenantAdminLoginForm

    def has_permission(self, request):
        user = request.user
        return bool(
            user.is_authenticated
            and user.is_active
            and (user.is_superuser or admin_memberships(user).exists())
        )

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def wrapper(request, *args, **kwargs):
            access = acting_access(request)
            request.acting_tenant, request.acting_role = access or (None, None)
            if access is None:
                if self.has_permission(request) and self._shows_tenant_data(request):
                    # A model page shows one tenant's data: choose the tenant first, then
                    # come back here.
                    messages.info(request, "Choose the tenant to act for first.")
                    picker = reverse("admin:acting_tenant", current_app=self.name)
                    return redirect(f"{picker}?{urlencode({'next': request.get_full_path()})}")
                return inner(request, *args, **kwargs)
            tenant = access[0]
            request_tenant_id_var.set(tenant.pk)
            # Dates and times in the tenant's own timezone, on every page and form.
            with transaction.atomic(), tenant_context(tenant), timezone.override(tenant.timezone):
                response = inner(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response = response.render()
                return response

        return update_wrapper(wrapper, view)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Panels an app adds to the index (tickets: the queue dashboard): callables taking the
        # request and returning (template name, context) or None; they run in the tenant's
        # context, for the acting tenant only.
        self.index_panels: list = []

    def index_panel_register(self, panel) -> None:
        """Show `panel(request)` on the admin index (see index_panels)."""
        self.index_panels.append(panel)

    def index(self, request, extra_context=None):
        panels = []
        if getattr(request, "acting_tenant", None) is not None:
            panels = [panel for panel in (p(request) for p in self.index_panels) if panel]
        return super().index(request, {**(extra_context or {}), "index_panels": panels})

    def _shows_tenant_data(self, request) -> bool:
        """Whether the page is one of a tenant-scoped model (its list, form, history, …)."""
        match = request.resolver_match
        if match is None or not match.url_name:
            return False
        return any(
            match.url_name.startswith(f"{model._meta.app_label}_{model._meta.model_name}_")
            for model, model_admin in self._registry.items()
            if getattr(model_admin, "tenant_scoped", False)
        )

    def each_context(self, request):
        context = super().each_context(request)
        context["acting_tenant"] = getattr(request, "acting_tenant", None)
        context["acting_role"] = getattr(request, "acting_role", None)
        return context

    def get_urls(self):
        return [
            path(
                "acting-tenant/",
                self.admin_view(self.acting_tenant_view),
                name="acting_tenant",
            ),
            *super().get_urls(),
        ]

    def acting_tenant_view(self, request):
        """Choose the tenant this admin session acts for."""
        if request.user.is_superuser:
            choices = [
                (str(t.pk), f"{t.name} ({t.slug})") for t in Tenant.objects.filter(is_active=True)
            ]
        else:
            choices = [
                (str(m.tenant_id), f"{m.tenant.name} ({m.tenant.slug}) — {m.role}")
                for m in admin_memberships(request.user)
            ]
        form = ActingTenantForm(request.POST or None)
        form.fields["tenant"].choices = choices
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = ""
        if request.method == "POST" and form.is_valid():
            tenant_id = int(form.cleaned_data["tenant"])
            request.session[SESSION_KEY] = tenant_id
            _platform_access_record(request, tenant_id)
            messages.success(request, "Acting tenant changed.")
            return redirect(next_url or reverse("admin:index"))
        context = {
            **self.each_context(request),
            "form": form,
            "next": next_url,
            "title": "Acting tenant",
        }
        return TemplateResponse(request, "admin/acting_tenant.html", context)


admin_site = TenantAdminSite(name="admin")
