import re
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

from tenants.context import tenant_context
from tenants.models import AuditLogEntry


def audit_log_rows(tenant, action: str, *, fields: tuple[str, ...]) -> list[dict]:
    """The tenant's audit entries for `action`, oldest first, as dicts of `fields`."""
    with tenant_context(tenant):
        return list(
            AuditLogEntry.objects.filter(action=action).order_by("created_at").values(*fields)
        )


def link_token(message, page: str) -> str:
    """The token of the one `{PUBLIC_BASE_URL}/<page>?token=<token>` link in an email."""
    links = re.findall(r"https?://\S+", message.body)
    assert len(links) == 1, message.body
    url = urlsplit(links[0])
    assert links[0].startswith(f"{settings.PUBLIC_BASE_URL}/{page}?"), links[0]
    query = parse_qs(url.query)
    assert list(query) == ["token"], links[0]
    return query["token"][0]
