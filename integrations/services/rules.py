"""Input rules the integrations services share: a URL through the outbound guard."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from integrations.models import (
    WebhookEndpoint,
)
from tenants.validation import text_check

URL_MAX_LENGTH = WebhookEndpoint._meta.get_field("url").max_length

# --- Input rules ------------------------------------------------------------------------------


def _url_check(url: str) -> str:
    """The URL as integrations.http.url_check accepts it (https, no credentials, no private,
    loopback or link-local address; the host resolved too when OUTBOUND_RESOLVE_ON_SAVE).
    Raises ValidationError({"url": …})."""
    from integrations.http import url_check  # the SSRF guard; imported where it is used

    return url_check(url, resolve=settings.OUTBOUND_RESOLVE_ON_SAVE)


def url_rule(field: str, value: Any) -> str:
    """A receiver URL: storable text within the column, then the outbound guard."""
    value = text_check(field, value, max_length=URL_MAX_LENGTH, blank=False).strip()
    try:
        return _url_check(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
