"""Writes of the tenants app: accounts, tenants, memberships, API keys, the audit trail."""

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from knox.models import AuthToken

from config.errors import NotFoundError, PermissionDeniedError
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.exceptions import (
    ApiKeyRevokedError,
    LastOwnerError,
    OwnerRequiredError,
)
from tenants.models import ApiKey, AuditLogEntry, Membership, Role, Tenant, User
from tenants.permissions import has_capability
from tenants.selectors import owner_count

API_KEY_PREFIX = "tdk"
API_KEY_LAST_USED_RESOLUTION = timedelta(minutes=1)


# --- Accounts ---------------------------------------------------------------------------------


@transaction.atomic
def user_register(*, email: str, password: str, name: str) -> User:
    """Create a user account; raise ValidationError for a taken email or a weak password."""
    email = User.objects.normalize_email(email).lower()
    candidate = User(email=email, name=name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:  # report under the field, not as a non-field error
        raise ValidationError({"password": exc.error_list}) from exc
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "A user with this email already exists."})
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, name=name)
    except IntegrityError as exc:  # lost a race with a concurrent registration
        raise ValidationError({"email": "A user with this email already exists."}) from exc


@transaction.atomic
def auth_token_create(*, user: User) -> tuple[AuthToken, str]:
    """Issue an expiring bearer token (shown once); beyond the per-user limit the oldest go."""
    limit = django_settings.REST_KNOX.get("TOKEN_LIMIT_PER_USER")
    if limit:
        stale = AuthToken.objects.filter(user=user).order_by("-created")[limit - 1 :]
        AuthToken.objects.filter(pk__in=[t.pk for t in stale]).delete()
    instance, token = AuthToken.objects.create(user=user)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return instance, token


def auth_token_revoke(*, token: AuthToken) -> None:
    """Revoke one bearer token (logout)."""
    token.delete()


def auth_token_purge_expired() -> int:
    """Delete expired bearer tokens; return how many."""
    deleted, _ = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted


# --- Audit trail ------------------------------------------------------------------------------


def audit_log_record(
    *,
    tenant: Tenant,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str,
    target_label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Append one audit entry for `tenant` (enters the tenant context if needed)."""
    with tenant_context(tenant):
        return AuditLogEntry.objects.create(
            tenant=tenant,
            actor_user=actor.user,
            actor_api_key=actor.api_key,
            actor_label=actor.label,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            target_label=target_label[:254],
            before=before,
            after=after,
            ip_address=actor.ip,
            request_id=actor.request_id or "",
        )


# --- Tenants ----------------------------------------------------------------------------------

_TENANT_AUDITED_FIELDS = ("name", "timezone", "settings")


def _tenant_snapshot(tenant: Tenant) -> dict[str, Any]:
    return {field: getattr(tenant, field) for field in _TENANT_AUDITED_FIELDS}


@transaction.atomic
def tenant_create(
    *, actor: Actor, slug: str, name: str, timezone_name: str = "UTC", settings: dict | None = None
) -> Tenant:
    """Create a tenant with the acting user as its first owner."""
    if Tenant.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": "This slug is already taken."})
    try:
        with transaction.atomic():
            tenant = Tenant.objects.create(
                slug=slug, name=name, timezone=timezone_name, settings=settings or {}
            )
    except IntegrityError as exc:
        raise ValidationError({"slug": "This slug is already taken."}) from exc
    membership = Membership.objects.create(user=actor.user, tenant=tenant, role=Role.OWNER)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="tenant.created",
        target_type="tenant",
        target_id=tenant.slug,
        target_label=tenant.name,
        after=_tenant_snapshot(tenant),
    )
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="member.added",
        target_type="member",
        target_id=str(membership.public_id),
        target_label=actor.label,
        after={"role": membership.role, "is_senior": False, "is_active": True},
    )
    return tenant


@transaction.atomic
def tenant_update(
    *,
    tenant: Tenant,
    actor: Actor,
    name: str | None = None,
    timezone_name: str | None = None,
    settings: dict | None = None,
) -> Tenant:
    """Change a tenant's name, timezone or settings (merged key by key); audit the change."""
    before = _tenant_snapshot(tenant)
    if name is not None:
        tenant.name = name
    if timezone_name is not None:
        tenant.timezone = timezone_name
    if settings is not None:
        tenant.settings = {**(tenant.settings or {}), **settings}
    after = _tenant_snapshot(tenant)
    changed = {k for k in _TENANT_AUDITED_FIELDS if before[k] != after[k]}
    if not changed:
        return tenant
    tenant.save(update_fields=[*sorted(changed), "updated_at"])
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="tenant.updated",
        target_type="tenant",
        target_id=tenant.slug,
        target_label=tenant.name,
        before={k: before[k] for k in sorted(changed)},
        after={k: after[k] for k in sorted(changed)},
    )
    return tenant


@transaction.atomic
def tenant_delete(*, tenant: Tenant, actor: Actor) -> None:
    """Deactivate a tenant: its routes answer 404 from now on and its API keys stop working.

    The rows stay (soft delete) so an operator can restore or purge them deliberately; the slug
    stays reserved.
    """
    tenant.is_active = False
    tenant.deleted_at = timezone.now()
    tenant.save(update_fields=["is_active", "deleted_at", "updated_at"])
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="tenant.deleted",
        target_type="tenant",
        target_id=tenant.slug,
        target_label=tenant.name,
    )


# --- Members ----------------------------------------------------------------------------------

_MEMBER_FIELDS = ("role", "is_senior", "is_active")


def _member_snapshot(membership: Membership) -> dict[str, Any]:
    return {field: getattr(membership, field) for field in _MEMBER_FIELDS}


def _lock_tenant(tenant: Tenant) -> None:
    # Serialise membership changes per tenant, so two concurrent demotions can never both see
    # "another owner remains".
    Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk").get()


def _reload(membership: Membership) -> Membership:
    # Re-read under the tenant lock; a concurrent removal makes it a 404, not a 500.
    fresh = Membership.objects.select_related("user").filter(pk=membership.pk).first()
    if fresh is None:
        raise NotFoundError("Not found.")
    return fresh


@transaction.atomic
def member_add(
    *, tenant: Tenant, actor: Actor, email: str, role: str, is_senior: bool = False
) -> Membership:
    """Add a registered user to the tenant with a role; only owners may grant `owner`."""
    if role == Role.OWNER and not has_capability(actor.role, "owner.manage"):
        raise OwnerRequiredError("Only owners can grant the owner role.")
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise ValidationError({"email": "No registered user has this email."})
    _lock_tenant(tenant)
    if Membership.objects.filter(tenant=tenant, user=user).exists():
        raise ValidationError({"email": "This user is already a member of the tenant."})
    membership = Membership.objects.create(tenant=tenant, user=user, role=role, is_senior=is_senior)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="member.added",
        target_type="member",
        target_id=str(membership.public_id),
        target_label=user.email,
        after=_member_snapshot(membership),
    )
    from tenants.tasks import member_added_notify_task

    # robust: the membership is committed whatever the broker says; a failed enqueue is logged
    # (the notifications outbox will make such sends retryable).
    transaction.on_commit(
        lambda: member_added_notify_task.delay(tenant_id=tenant.pk, membership_id=membership.pk),
        robust=True,
    )
    return membership


def _check_owner_rules(
    *, tenant: Tenant, actor: Actor, membership: Membership, losing_owner: bool
) -> None:
    if membership.role == Role.OWNER and not has_capability(actor.role, "owner.manage"):
        raise OwnerRequiredError("Only owners can change or remove an owner.")
    if losing_owner and membership.is_active and owner_count(tenant=tenant) <= 1:
        raise LastOwnerError("The tenant's last owner cannot leave or be demoted.")


@transaction.atomic
def member_update(
    *,
    tenant: Tenant,
    actor: Actor,
    membership: Membership,
    role: str | None = None,
    is_senior: bool | None = None,
    is_active: bool | None = None,
) -> Membership:
    """Change a member's role, seniority or active flag, keeping at least one owner."""
    _lock_tenant(tenant)
    membership = _reload(membership)
    if role == Role.OWNER and not has_capability(actor.role, "owner.manage"):
        raise OwnerRequiredError("Only owners can grant the owner role.")
    losing_owner = membership.role == Role.OWNER and (
        (role is not None and role != Role.OWNER) or is_active is False
    )
    _check_owner_rules(tenant=tenant, actor=actor, membership=membership, losing_owner=losing_owner)
    before = _member_snapshot(membership)
    if role is not None:
        membership.role = role
    if is_senior is not None:
        membership.is_senior = is_senior
    if is_active is not None:
        membership.is_active = is_active
    after = _member_snapshot(membership)
    changed = sorted(k for k in _MEMBER_FIELDS if before[k] != after[k])
    if not changed:
        return membership
    membership.save(update_fields=[*changed, "updated_at"])
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="member.updated",
        target_type="member",
        target_id=str(membership.public_id),
        target_label=membership.user.email,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return membership


@transaction.atomic
def member_remove(*, tenant: Tenant, actor: Actor, membership: Membership) -> None:
    """Remove a member (admins remove others; anyone may leave), keeping at least one owner."""
    is_self = actor.user is not None and membership.user_id == actor.user.pk
    if not is_self and not has_capability(actor.role, "member.manage"):
        raise PermissionDeniedError("Your role does not allow removing other members.")
    _lock_tenant(tenant)
    membership = _reload(membership)
    _check_owner_rules(
        tenant=tenant,
        # Leaving is always allowed (owner rules apply to removing others), except the last owner.
        actor=Actor(role=Role.OWNER) if is_self else actor,
        membership=membership,
        losing_owner=membership.role == Role.OWNER,
    )
    before = _member_snapshot(membership)
    target_id, email = str(membership.public_id), membership.user.email
    membership.delete()
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="member.removed",
        target_type="member",
        target_id=target_id,
        target_label=email,
        before=before,
    )


# --- API keys ---------------------------------------------------------------------------------


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
