"""Per-tenant API keys: create, revoke, authenticate.

Every key traces to a person (`created_by`; for a key created by a key, the person at the root
of the chain, with the parent in `created_by_key`) and acts with at most that person's current
role. Removing the person from the tenant, or demoting them below key management, revokes the
keys they created.
"""

import hmac
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tenants.access import Actor
from tenants.exceptions import ApiKeyCreatorRequiredError, ApiKeyRevokedError
from tenants.models import ROLE_RANK, ApiKey, Membership, Tenant, User
from tenants.permissions import has_capability
from tenants.selectors import api_key_for_authentication, tenant_get_for_update
from tenants.services.audit import audit_log_record
from tenants.tokens import secret_digest
from tenants.validation import API_KEY_CREATE_RULES, fields_clean

API_KEY_PREFIX = "tdk"
API_KEY_LAST_USED_RESOLUTION = timedelta(minutes=1)


def _creator(*, tenant: Tenant, actor: Actor) -> tuple[int, ApiKey | None, str]:
    """Return (person id, parent key, the highest role the new key may have) for `actor`.

    A person creates keys while they are an active member allowed to manage keys; a key
    creates keys for the person it traces to, within its own (effective) role.
    """
    parent = actor.api_key
    person_id = parent.created_by_id if parent is not None else getattr(actor.user, "pk", None)
    if person_id is None:
        raise ApiKeyCreatorRequiredError(
            "API keys are created by a person, or by a key that a person created."
        )
    role = (
        Membership.objects.filter(tenant=tenant, user_id=person_id, is_active=True)
        .values_list("role", flat=True)
        .first()
    )
    if role is None or not has_capability(role, "api_key.manage"):
        raise ApiKeyCreatorRequiredError(
            "Only a current admin or owner of the tenant can create API keys."
        )
    if parent is not None and actor.role is not None:
        role = min(role, actor.role, key=ROLE_RANK.__getitem__)
    return person_id, parent, role


@transaction.atomic
def api_key_create(*, tenant: Tenant, actor: Actor, name: str, role: str) -> tuple[ApiKey, str]:
    """Create an API key for the tenant; return it with the raw key, which is never stored.

    Raises ApiKeyCreatorRequiredError when no person with key management stands behind the
    actor, and ValidationError for a role above that person's (or the creating key's).
    """
    fields_clean({"name": name, "role": role}, API_KEY_CREATE_RULES)
    # Under the lock member_update/member_remove take: a demotion or removal of the person is
    # either seen here, or runs after this key exists and revokes it.
    tenant_get_for_update(tenant=tenant)
    person_id, parent, ceiling = _creator(tenant=tenant, actor=actor)
    if ROLE_RANK[role] > ROLE_RANK[ceiling]:
        raise ValidationError({"role": f"A key you create can have at most the role {ceiling}."})
    prefix = secrets.token_hex(6)
    raw_key = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        tenant=tenant,
        name=name,
        role=role,
        prefix=prefix,
        key_hash=secret_digest(raw_key),
        created_by_id=person_id,
        created_by_key=parent,
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


def _record_revocation(*, tenant: Tenant, actor: Actor, api_key: ApiKey, reason: str = "") -> None:
    after = {"revoked": True, **({"reason": reason} if reason else {})}
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="api_key.revoked",
        target_type="api_key",
        target_id=str(api_key.public_id),
        target_label=f"{api_key.name} ({api_key.prefix})",
        before={"revoked": False},
        after=after,
    )


@transaction.atomic
def api_key_revoke(*, tenant: Tenant, actor: Actor, api_key: ApiKey) -> ApiKey:
    """Revoke an API key; it authenticates nothing from now on. Revoking twice is a 409."""
    now = timezone.now()
    # Conditional UPDATE: of two concurrent revokes exactly one wins (and audits).
    revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=now)
    if not revoked:
        raise ApiKeyRevokedError()
    api_key.revoked_at = now
    _record_revocation(tenant=tenant, actor=actor, api_key=api_key)
    _revoke_descendants(tenant=tenant, actor=actor, parent=api_key, now=now)
    return api_key


def _revoke_descendants(*, tenant: Tenant, actor: Actor, parent: ApiKey, now) -> None:
    # A key a revoked key created was its reach: it ends too (a leaked key must not live on
    # through the keys it minted), generation by generation, each audited with the reason.
    frontier = {parent.pk: parent}
    while frontier:
        children = list(
            ApiKey.objects.select_for_update()
            .filter(tenant=tenant, created_by_key__in=frontier, revoked_at__isnull=True)
            .order_by("pk")
        )
        ApiKey.objects.filter(pk__in=[child.pk for child in children]).update(revoked_at=now)
        for child in children:
            child.revoked_at = now
            _record_revocation(
                tenant=tenant,
                actor=actor,
                api_key=child,
                reason=f"created by the revoked key {frontier[child.created_by_key_id].prefix}",
            )
        frontier = {child.pk: child for child in children}


@transaction.atomic
def api_key_revoke_created_by(*, tenant: Tenant, actor: Actor, user: User, reason: str) -> int:
    """Revoke every live key of the tenant that traces to `user`, one audit entry per key
    carrying `reason`; return how many."""
    keys = list(
        ApiKey.objects.select_for_update()
        .filter(tenant=tenant, created_by=user, revoked_at__isnull=True)
        .order_by("pk")  # one lock order
    )
    if not keys:
        return 0
    now = timezone.now()
    ApiKey.objects.filter(pk__in=[key.pk for key in keys]).update(revoked_at=now)
    for api_key in keys:
        api_key.revoked_at = now
        _record_revocation(tenant=tenant, actor=actor, api_key=api_key, reason=reason)
    return len(keys)


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """Return the live API key matching `raw_key` (with its tenant and `creator_role`), or None.

    A key whose creator is no longer an active member authenticates nothing.
    """
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    api_key = api_key_for_authentication(prefix=parts[1])
    if api_key is None or not hmac.compare_digest(api_key.key_hash, secret_digest(raw_key)):
        return None
    if api_key.creator_role is None:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > API_KEY_LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
