import re
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from rest_framework.test import APIClient

from tenants.context import tenant_context
from tenants.models import AuditLogEntry
from tests.conftest import PASSWORD


def audit_log_rows(tenant, action: str, *, fields: tuple[str, ...]) -> list[dict]:
    """The tenant's audit entries for `action`, oldest first, as dicts of `fields`."""
    with tenant_context(tenant):
        return list(
            AuditLogEntry.objects.filter(action=action).order_by("created_at").values(*fields)
        )


def audit_rows(tenant, action: str) -> list[dict]:
    """audit_log_rows with the target, the actor's label and the before/after of each entry."""
    return audit_log_rows(
        tenant,
        action,
        fields=("target_type", "target_id", "target_label", "actor_label", "before", "after"),
    )


def members_url(tenant) -> str:
    return f"/api/v1/t/{tenant.slug}/members/"


def member_url(membership) -> str:
    return f"/api/v1/t/{membership.tenant.slug}/members/{membership.public_id}/"


def link_token(message, page: str) -> str:
    """The token of the one `{PUBLIC_BASE_URL}/<page>?token=<token>` link in an email."""
    links = re.findall(r"https?://\S+", message.body)
    assert len(links) == 1, message.body
    url = urlsplit(links[0])
    assert links[0].startswith(f"{settings.PUBLIC_BASE_URL}/{page}?"), links[0]
    query = parse_qs(url.query)
    assert list(query) == ["token"], links[0]
    return query["token"][0]


def bearer_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def with_password(user, password: str = PASSWORD):
    """Give `user` a known password (saved the way a shell would: set_password + save)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def register_body(**overrides) -> dict:
    """A valid POST auth/register/ body, with `overrides` applied."""
    return {"email": "new.person@example.test", "password": PASSWORD, "name": "New Person"} | (
        overrides
    )


def tokens_alive(tokens) -> list[bool]:
    """For each (AuthToken, raw token) pair: does the raw token still authenticate?"""
    return [bearer_client(raw).get("/api/v1/auth/me/").status_code == 200 for _, raw in tokens]


def with_throttle_rates(settings, **rates) -> None:
    # Assigning REST_FRAMEWORK sends setting_changed, which makes DRF reload api_settings.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }
