"""Invitations: the only way into a tenant. An admin invites an address; the person who
controls that mailbox accepts with the emailed single-use token.

The token (32 random bytes) is minted by the email task, right before the email goes out, so
it exists only in the worker's memory and in the email: the database keeps its SHA-256, the
broker and the logs never see it. A resend mints a new one; accepting or revoking clears it.

Lock order, everywhere: the tenant row (the membership lock of members.py), then the
invitation row. The email task takes the invitation row alone.
"""

import secrets
from dataclasses import replace

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from knox.models import AuthToken

from config.errors import NotFoundError
from tenants import events
from tenants.access import Actor
from tenants.domain_events import InvitationCreated, InvitationResent
from tenants.exceptions import (
    AccountExistsError,
    AlreadyMemberError,
    InvitationEmailMismatchError,
    InvitationNotPendingError,
    OwnerRequiredError,
)
from tenants.models import (
    INVITATION_TTL,
    ApiKey,
    Invitation,
    InvitationStatus,
    Membership,
    Role,
    Tenant,
    User,
)
from tenants.permissions import has_capability
from tenants.services.accounts import auth_token_create, validate_new_password
from tenants.services.audit import audit_log_record
from tenants.services.members import member_create
from tenants.tokens import secret_digest

TOKEN_BYTES = 32
# One answer for an unknown, used, revoked or expired token (and for a deleted tenant): the
# endpoint tells nobody which invitations exist.
INVALID_LINK = "This invitation link is invalid or has expired. Ask for a new invitation."
_MAX_TOKEN_LENGTH = 128
_PENDING = InvitationStatus.PENDING


def _clean_email(email: str) -> str:
    email = email.strip().lower() if isinstance(email, str) else ""
    if len(email) > 254:
        raise ValidationError({"email": "Enter at most 254 characters."})
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": "Enter a valid email address."}) from exc
    return email


def _lock_tenant(tenant_id: int) -> Tenant | None:
    # The lock members.py takes for membership changes (NO KEY UPDATE, see there).
    return (
        Tenant.objects.select_for_update(no_key=True).filter(pk=tenant_id, is_active=True).first()
    )


def _lock(*, tenant: Tenant, invitation: Invitation) -> Invitation:
    """Re-read the invitation under a row lock, after the tenant's (the one lock order); a
    vanished one is a 404."""
    _lock_tenant(tenant.pk)
    locked = Invitation.objects.select_for_update().filter(pk=invitation.pk, tenant=tenant).first()
    if locked is None:
        raise NotFoundError()
    return locked


def _audit(*, tenant: Tenant, actor: Actor, invitation: Invitation, action: str, **changes):
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action=action,
        target_type="invitation",
        target_id=str(invitation.public_id),
        target_label=invitation.email,
        **changes,
    )


@transaction.atomic
def invitation_create(
    *, tenant: Tenant, actor: Actor, email: str, role: str, is_senior: bool = False
) -> Invitation:
    """Invite `email` to the tenant with `role` and email them a link (on commit).

    Only owners invite owners (OwnerRequiredError). A member's address, or one with a live
    pending invitation, is a ValidationError on email; a lapsed one is replaced.
    """
    email = _clean_email(email)
    if role not in Role.values:
        raise ValidationError({"role": "Unknown role."})
    if not isinstance(is_senior, bool):
        raise ValidationError({"is_senior": "Must be true or false."})
    if role == Role.OWNER and not has_capability(actor.role, "owner.manage"):
        raise OwnerRequiredError("Only owners can invite owners.")
    _lock_tenant(tenant.pk)
    if Membership.objects.filter(tenant=tenant, user__email__iexact=email).exists():
        raise ValidationError({"email": "This person is already a member of the tenant."})
    now = timezone.now()
    current = (
        Invitation.objects.select_for_update()
        .filter(tenant=tenant, email=email, status=_PENDING)
        .first()
    )
    if current is not None and current.expires_at > now:
        raise ValidationError(
            {"email": "This address already has a pending invitation (resend it instead)."}
        )
    if current is not None:  # lapsed: it gives up its place to the new one
        current.status, current.token_hash = InvitationStatus.EXPIRED, None
        current.save(update_fields=["status", "token_hash", "updated_at"])
    api_key = actor.api_key
    inviter_id = api_key.created_by_id if api_key is not None else getattr(actor.user, "pk", None)
    invitation = Invitation(
        tenant=tenant,
        email=email,
        role=role,
        is_senior=is_senior,
        invited_by_id=inviter_id,
        invited_by_key=api_key,
        expires_at=now + INVITATION_TTL,
        created_at=now,
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError as exc:  # the database's word on "one pending per address"
        raise ValidationError(
            {"email": "This address already has a pending invitation (resend it instead)."}
        ) from exc
    _audit(
        tenant=tenant,
        actor=actor,
        invitation=invitation,
        action="invitation.created",
        after={"email": email, "role": role, "is_senior": is_senior},
    )
    # The email (with a freshly minted link) is the notifications app's answer to this event.
    events.publish(
        InvitationCreated(invitation=str(invitation.public_id), role=role),
        tenant=tenant,
        actor=actor,
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, tenant: Tenant, actor: Actor, invitation: Invitation) -> Invitation:
    """Withdraw an invitation; its link stops working. Accepted or revoked ones are a 409."""
    invitation = _lock(tenant=tenant, invitation=invitation)
    if invitation.status in (InvitationStatus.ACCEPTED, InvitationStatus.REVOKED):
        raise InvitationNotPendingError(f"This invitation is already {invitation.status}.")
    before = invitation.current_status
    invitation.status, invitation.token_hash = InvitationStatus.REVOKED, None
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["status", "token_hash", "revoked_at", "updated_at"])
    _audit(
        tenant=tenant,
        actor=actor,
        invitation=invitation,
        action="invitation.revoked",
        before={"status": before},
        after={"status": invitation.status},
    )
    return invitation


@transaction.atomic
def invitation_resend(*, tenant: Tenant, actor: Actor, invitation: Invitation) -> Invitation:
    """Send a pending invitation again: new token (the old link dies), new expiry, new email.

    A pending invitation whose link lapsed is renewed too; accepted, revoked or replaced ones
    are a 409.
    """
    invitation = _lock(tenant=tenant, invitation=invitation)
    if invitation.status != _PENDING:
        raise InvitationNotPendingError(
            f"Only pending invitations can be resent; this one is {invitation.status}."
        )
    invitation.token_hash, invitation.sent_at = None, None
    invitation.expires_at = timezone.now() + INVITATION_TTL
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at", "updated_at"])
    _audit(
        tenant=tenant,
        actor=actor,
        invitation=invitation,
        action="invitation.resent",
        after={"expires_at": invitation.expires_at.isoformat()},
    )
    events.publish(
        InvitationResent(invitation=str(invitation.public_id), role=invitation.role),
        tenant=tenant,
        actor=actor,
    )
    return invitation


@transaction.atomic
def invitation_token_issue(*, tenant_id: int, invitation_id: str) -> tuple[Invitation, str] | None:
    """Mint a new link token for a pending invitation (by its id) and keep its digest; return
    the invitation and the token, or None when there is nothing to send.

    Called by the invitation email, in its transaction and the invitation's tenant context:
    the row stays locked until the email is out, so a concurrent accept, revoke or resend
    either happened before (nothing or a fresh token is sent) or waits; a failed send rolls
    the token back.
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("tenant", "invited_by", "invited_by_key")
        .filter(public_id=invitation_id, tenant_id=tenant_id, tenant__is_active=True)
        .first()
    )
    if invitation is None or invitation.current_status != _PENDING:
        return None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation.token_hash, invitation.sent_at = secret_digest(token), timezone.now()
    invitation.save(update_fields=["token_hash", "sent_at", "updated_at"])
    return invitation, token


def _pending_for_token(token: str) -> tuple[Tenant, Invitation]:
    """Lock and return the live invitation behind `token`, or raise the one token error."""
    invalid = ValidationError({"token": INVALID_LINK})
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LENGTH:
        raise invalid
    token_hash = secret_digest(token)
    tenant_id = (
        Invitation.objects.filter(token_hash=token_hash).values_list("tenant_id", flat=True).first()
    )
    tenant = _lock_tenant(tenant_id) if tenant_id is not None else None
    # Re-read under the locks: a concurrent accept or revoke has cleared the hash by now.
    invitation = (
        Invitation.objects.select_for_update().filter(token_hash=token_hash).first()
        if tenant is not None
        else None
    )
    if invitation is None or invitation.current_status != _PENDING:
        raise invalid
    if not _inviter_still_entitled(invitation):
        raise invalid
    return tenant, invitation


def _inviter_still_entitled(invitation: Invitation) -> bool:
    """Whether whoever sent the invitation could still send it now (checked under the tenant
    lock membership changes take): an invitation ends with its reason, like a key."""
    if invitation.invited_by_id is None:
        return False
    role = (
        Membership.objects.filter(
            tenant_id=invitation.tenant_id,
            user_id=invitation.invited_by_id,
            is_active=True,
            user__is_active=True,
        )
        .values_list("role", flat=True)
        .first()
    )
    needed = "owner.manage" if invitation.role == Role.OWNER else "member.manage"
    if role is None or not has_capability(role, needed):
        return False
    return invitation.invited_by_key_id is None or (
        ApiKey.objects.filter(pk=invitation.invited_by_key_id, revoked_at__isnull=True).exists()
    )


def _accept(*, tenant: Tenant, actor: Actor, invitation: Invitation, user: User) -> Membership:
    if Membership.objects.filter(tenant=tenant, user=user).exists():
        raise AlreadyMemberError()
    membership = member_create(
        tenant=tenant, actor=actor, user=user, role=invitation.role, is_senior=invitation.is_senior
    )
    invitation.status, invitation.token_hash = InvitationStatus.ACCEPTED, None
    invitation.accepted_by, invitation.accepted_at = user, timezone.now()
    invitation.save(
        update_fields=["status", "token_hash", "accepted_by", "accepted_at", "updated_at"]
    )
    _audit(
        tenant=tenant,
        actor=actor,
        invitation=invitation,
        action="invitation.accepted",
        before={"status": _PENDING},
        after={"status": invitation.status, "member": str(membership.public_id)},
    )
    return membership


@transaction.atomic
def invitation_accept(*, actor: Actor, token: str) -> Membership:
    """Accept an invitation as the logged-in `actor.user`, whose email must be the invited one.

    Raises ValidationError on token (unknown, used, revoked, expired — one message),
    InvitationEmailMismatchError for another user, AlreadyMemberError for a member.
    """
    user = actor.user
    if user is None:
        raise InvitationEmailMismatchError("Only a person can accept an invitation.")
    tenant, invitation = _pending_for_token(token)
    if user.email.lower() != invitation.email:
        raise InvitationEmailMismatchError()
    return _accept(tenant=tenant, actor=actor, invitation=invitation, user=user)


@transaction.atomic
def invitation_accept_new_account(
    *, actor: Actor, token: str, password: str, name: str
) -> tuple[Membership, AuthToken, str]:
    """Accept an invitation by creating the invited address's account; log it in.

    The token proves the mailbox, so the address counts as verified. Returns the membership
    and a bearer token (shown once). Raises the token ValidationError, AccountExistsError when
    the address already has an account, ValidationError on password or name.
    """
    tenant, invitation = _pending_for_token(token)
    exists = AccountExistsError()
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise exists
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 150:
        raise ValidationError({"name": "Enter your name (at most 150 characters)."})
    if not isinstance(password, str):
        raise ValidationError({"password": "Enter a password."})
    validate_new_password(password, user=User(email=invitation.email, name=name), field="password")
    try:
        with transaction.atomic():
            # The invitation's token proved the mailbox: the address is verified.
            user = User.objects.create_user(
                email=invitation.email,
                password=password,
                name=name,
                email_verified_at=timezone.now(),
            )
    except (IntegrityError, ValidationError) as exc:
        # A registration of the same address committed meanwhile: the unique index (or
        # create_user's full_clean, which saw it first) refused ours.
        raise exists from exc
    membership = _accept(
        tenant=tenant, actor=replace(actor, user=user), invitation=invitation, user=user
    )
    instance, bearer = auth_token_create(user=user)
    return membership, instance, bearer
