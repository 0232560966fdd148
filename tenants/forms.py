"""Login forms for the HTML entry points (admin, browsable API)."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from config.api.throttling import rate_limited


class LoginQuotaMixin:
    """The per-address and per-account login quotas of POST auth/token/, for HTML forms."""

    def clean(self):
        email = (self.data.get("username") or "").strip().lower()
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        if rate_limited("login", address) or (email and rate_limited("login_account", email)):
            raise forms.ValidationError(
                "Too many login attempts. Try again later.", code="throttled"
            )
        return super().clean()


class QuotaAuthenticationForm(LoginQuotaMixin, AuthenticationForm):
    """The browsable API's login form, with login quotas."""
