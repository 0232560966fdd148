"""Memberships: add (trusted callers; people join by invitation), change, remove; the owner
rules; the keys a member created end with the role that justified them."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from config.errors import NotFoundError, PermissionDeniedError
from tenants import events
from tenants.access import Actor
from tenants.domain_events import MemberAdded
from tenants.exceptions import (
    LastOwnerError,
    OwnerRequiredError,
)
from tenants.models import Membership, Role, Tenant, User
from tenants.permissions import has_capability
from tenants.selectors import owner_count, tenant_get_for_update
from tenants.services.api_keys import api_key_revoke_created_by
from tenants.services.audit import audit_log_record
from tenants.validation import MEMBER_UPDATE_RULES, boolean_check, fields_clean

_MEMBER_FIELDS = ("role", "is_senior", "is_active")


def _member_snapshot(membership: Membership) -> dict[str, Any]:
    return {field: getattr(membership, field) for field in _MEMBER_FIELDS}


def _reload(membership: Membership) -> Membership:
    # Re-read under the tenant lock; a concurrent removal makes it a 404, not a 500.
    fresh = Membership.objects.select_related("user").filter(pk=membership.pk).first()
    if fresh is None:
        raise NotFoundError()
    return fresh


@transaction.atomic
def member_create(
    *, tenant: Tenant, actor: Actor, user: User, role: str, is_senior: bool = False
) -> Membership:
    """Make `user` a member (the caller has checked who may grant `role`); audit it.

    Takes the tenant's membership lock; an existing membership is a ValidationError on email.
    """
    # The tenant lock serialises membership changes (and key creation) per tenant: two
    # concurrent demotions can never both see "another owner remains".
    tenant_get_for_update(tenant=tenant)
    if Membership.objects.filter(tenant=tenant, user=user).exists():
        raise ValidationError({"email": "This user is already a member of the tenant."})
    membership = Membership(tenant=tenant, user=user, role=role, is_senior=is_senior)
    membership.full_clean(validate_unique=False, validate_constraints=False)
    membership.save()
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="member.added",
        target_type="member",
        target_id=str(membership.public_id),
        target_label=user.email,
        after=_member_snapshot(membership),
    )
    events.publish(
        MemberAdded(member=str(membership.public_id), user=str(user.public_id), role=role),
        tenant=tenant,
        actor=actor,
    )
    return membership


@transaction.atomic
def member_add(
    *, tenant: Tenant, actor: Actor, email: str, role: str, is_senior: bool = False
) -> Membership:
    """Add a registered user to the tenant directly, without their consent: trusted callers
    only (seed_demo, seed_bench, tests). People join through invitations; no route calls this.
    """
    if role == Role.OWNER and not has_capability(actor.role, "owner.manage"):
        raise OwnerRequiredError()
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise ValidationError({"email": "No registered user has this email."})
    return member_create(tenant=tenant, actor=actor, user=user, role=role, is_senior=is_senior)


def _check_owner_rules(
    *, tenant: Tenant, actor: Actor, membership: Membership, losing_owner: bool
) -> None:
    if membership.role == Role.OWNER and not has_capability(actor.role, "owner.manage"):
        raise OwnerRequiredError("Only owners can change or remove an owner.")
    if losing_owner and membership.is_active and owner_count(tenant=tenant) <= 1:
        raise LastOwnerError()


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
    """Change a member's role, seniority or active flag, keeping at least one owner.

    Raises ValidationError (an unknown role, a flag that is not a bool) before any lock.
    """
    given = {"role": role, "is_senior": is_senior, "is_active": is_active}
    fields_clean({k: v for k, v in given.items() if v is not None}, MEMBER_UPDATE_RULES)
    # The tenant lock serialises membership changes (and key creation) per tenant: two
    # concurrent demotions can never both see "another owner remains".
    tenant_get_for_update(tenant=tenant)
    membership = _reload(membership)
    if role == Role.OWNER and not has_capability(actor.role, "owner.manage"):
        raise OwnerRequiredError()
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
    if has_capability(before["role"], "api_key.manage") and not has_capability(
        membership.role, "api_key.manage"
    ):
        # The keys this member created were justified by a role they no longer have.
        api_key_revoke_created_by(
            tenant=tenant, actor=actor, user=membership.user, reason="creator_demoted"
        )
    return membership


@transaction.atomic
def member_availability_set(
    *, tenant: Tenant, actor: Actor, membership: Membership, is_available: Any
) -> Membership:
    """Mark a member available for automatic assignment, or not: the member themselves, or a
    supervisor and above. Audited. Raises ValidationError (not a boolean),
    PermissionDeniedError (someone else's, without the role), NotFoundError (removed)."""
    fields_clean({"is_available": is_available}, {"is_available": boolean_check})
    is_self = actor.user is not None and membership.user_id == actor.user.pk
    if not is_self and not has_capability(actor.role, "member.availability"):
        raise PermissionDeniedError("Only the member or a supervisor can change availability.")
    tenant_get_for_update(tenant=tenant)  # membership changes take turns per tenant
    membership = _reload(membership)
    if membership.is_available == is_available:
        return membership
    membership.is_available = is_available
    membership.save(update_fields=["is_available", "updated_at"])
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="member.availability_changed",
        target_type="member",
        target_id=str(membership.public_id),
        target_label=membership.user.email,
        before={"is_available": not is_available},
        after={"is_available": is_available},
    )
    return membership


@transaction.atomic
def member_remove(*, tenant: Tenant, actor: Actor, membership: Membership) -> None:
    """Remove a member (admins remove others; anyone may leave), keeping at least one owner."""
    is_self = actor.user is not None and membership.user_id == actor.user.pk
    if not is_self and not has_capability(actor.role, "member.manage"):
        raise PermissionDeniedError("Your role does not allow removing other members.")
    # The tenant lock serialises membership changes (and key creation) per tenant: two
    # concurrent demotions can never both see "another owner remains".
    tenant_get_for_update(tenant=tenant)
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
    user = membership.user
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
    api_key_revoke_created_by(tenant=tenant, actor=actor, user=user, reason="creator_removed")
