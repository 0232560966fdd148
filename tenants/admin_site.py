"""The Django admin, scoped to one tenant at a time.

Supervisors, admins and owners of a tenant log in with their account (no is_staff needed) and
act for one tenant, chosen on /admin/acting-tenant/ and kept in the session. Every admin view
runs inside a transaction + tenant_context() of that tenant, rendering included, so querysets,
FK choices, autocomplete and list filters all see that tenant only — and RLS stands behind it.
"""

from functools import update_wrapper

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from config.logging import request_tenant_id_var
from tenants.context import tenant_context
from tenants.forms import LoginQuotaMixin, confirm_email_verified
from tenants.models import Membership, Role, Tenant
from tenants.permissions import roles_with

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
                return inner(request, *args, **kwargs)
            request_tenant_id_var.set(access[0].pk)
            with transaction.atomic(), tenant_context(access[0]):
                response = inner(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response = response.render()
                return response

        return update_wrapper(wrapper, view)

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
        if request.method == "POST" and form.is_valid():
            request.session[SESSION_KEY] = int(form.cleaned_data["tenant"])
            messages.success(request, "Acting tenant changed.")
            return redirect(reverse("admin:index"))
        context = {**self.each_context(request), "form": form, "title": "Acting tenant"}
        return TemplateResponse(request, "admin/acting_tenant.html", context)


admin_site = TenantAdminSite(name="admin")
