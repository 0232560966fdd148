"""Login forms for the HTML entry points (admin, browsable API)."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from config.api.client import client_ip
from config.api.throttling import attempts_forgive, login_attempts_count

EMAIL_NOT_VERIFIED = (
    "Confirm your email address first: follow the link in the email we sent you (or reset "
    "your password, which confirms it too)."
)


def confirm_email_verified(user) -> None:
    """Refuse a session to an account whose address was never proven (as POST auth/token/)."""
    if not user.is_email_verified:
        raise forms.ValidationError(EMAIL_NOT_VERIFIED, code="email_not_verified")


class LoginQuotaMixin:
    """The failed-login quotas of POST auth/token/ (per client address, per account), for
    HTML forms: the same counters, the same client address (config.api.client.client_ip), the
    same account normalization. Only attempts that do not log in use the quota up."""

    def clean(self):
        address = client_ip(self.request) if self.request else None
        attempts = login_attempts_count(address=address, identifier=self.data.get("username"))
        if not all(attempt.allowed for attempt in attempts):
            raise forms.ValidationError(
                "Too many login attempts. Try again later.", code="throttled"
            )
        cleaned_data = super().clean()  # raises for a wrong password or a refused account
        if not self.errors:
            attempts_forgive(attempts)
        return cleaned_data


class QuotaAuthenticationForm(LoginQuotaMixin, AuthenticationForm):
    """The browsable API's login form, with login quotas; verified addresses only."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        confirm_email_verified(user)
