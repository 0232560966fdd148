"""Per-tenant API keys: create, revoke, authenticate."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tenants.access import Actor
from tenants.exceptions import (
    ApiKeyRevokedError,
)
from tenants.models import ApiKey, Role, Tenant
from tenants.services.audit import audit_log_record

API_KEY_PREFIX = "tdk"
API_KEY_LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, tenant: Tenant, actor: Actor, name: str, role: str) -> tuple[ApiKey, str]:
    """Create an API key for the tenant; return it with the raw key, which is never stored."""
    if role == Role.OWNER:
        raise ValidationError({"role": "API keys cannot have the owner role."})
    prefix = secrets.token_hex(6)
    raw_key = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        tenant=tenant,
        name=name,
        role=role,
        prefix=prefix,
        key_hash=_hash_key(raw_key),
        created_by=actor.user,
    )
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="api_key.created",
        target_type="api_key",
        target_id=str(api_key.public_id),
        target_label=f"{name} ({prefix})",
        after={"name": name, "role": role},
    )
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, tenant: Tenant, actor: Actor, api_key: ApiKey) -> ApiKey:
    """Revoke an API key; it authenticates nothing from now on. Revoking twice is a 409."""
    now = timezone.now()
    # Conditional UPDATE: of two concurrent revokes exactly one wins (and audits).
    revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=now)
    if not revoked:
        raise ApiKeyRevokedError("This API key is already revoked.")
    api_key.revoked_at = now
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="api_key.revoked",
        target_type="api_key",
        target_id=str(api_key.public_id),
        target_label=f"{api_key.name} ({api_key.prefix})",
        before={"revoked": False},
        after={"revoked": True},
    )
    return api_key


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """Return the live API key matching `raw_key` (with its tenant), or None."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    api_key = (
        ApiKey.objects.select_related("tenant")
        .filter(prefix=parts[1], revoked_at__isnull=True, tenant__is_active=True)
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash_key(raw_key)):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > API_KEY_LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
