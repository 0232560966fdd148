"""Deployment checks of the outbound HTTP guard (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def outbound_guard_check(app_configs, **kwargs) -> list[Error]:
    """Refuse a production deployment that lets webhooks or CRM calls reach this machine or
    travel in clear (both are for local development: `make run` turns them on)."""
    errors = []
    if settings.OUTBOUND_ALLOW_LOOPBACK:
        errors.append(
            Error(
                "OUTBOUND_ALLOW_LOOPBACK is on: webhook and CRM URLs may reach this machine.",
                hint="Unset OUTBOUND_ALLOW_LOOPBACK in production.",
                id="tenantdesk.E010",
            )
        )
    if settings.OUTBOUND_ALLOW_HTTP:
        errors.append(
            Error(
                "OUTBOUND_ALLOW_HTTP is on: webhooks and CRM calls may travel unencrypted.",
                hint="Unset OUTBOUND_ALLOW_HTTP in production.",
                id="tenantdesk.E011",
            )
        )
    return errors
