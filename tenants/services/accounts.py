"""Accounts: registration and email verification, login and bearer tokens, passwords.

Nothing here tells an anonymous caller whether an address has an account: registration and
password-reset requests answer the same for every address, and the difference (which email
is sent) happens in a Celery task after the response.
"""

from django.conf import settings as django_settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from knox.models import AuthToken

from tenants import events
from tenants.domain_events import (
    AccountRegistered,
    AccountRegistrationRepeated,
    PasswordResetRequested,
)
from tenants.exceptions import EmailNotVerifiedError, InvalidLoginError
from tenants.models import User
from tenants.tokens import link_token_user

INVALID_LINK = "This link is invalid or has expired."


def _normalize_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def validate_new_password(password: str, *, user: User, field: str) -> None:
    """Apply the password validators; report their messages under `field`."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:  # report under the field, not as a non-field error
        raise ValidationError({field: exc.error_list}) from exc


@transaction.atomic
def user_register(*, email: str, password: str, name: str) -> None:
    """Start a registration; the outcome is the same for new and already registered emails.

    A new address gets an unverified account and a verification link; a registered one gets
    a "someone tried to register with your address" notice. Raise ValidationError for a
    malformed email or name, or a weak password (none of which depends on the account).
    """
    email = _normalize_email(email)
    candidate = User(email=email, name=name)
    candidate.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    validate_new_password(password, user=candidate, field="password")
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=email, password=password, name=name)
        except (IntegrityError, ValidationError):
            # Lost a race with a concurrent registration of this address: create_user()'s
            # uniqueness check or the unique index saw the other one (every other rule was
            # checked on `candidate` above).
            existing = User.objects.get(email__iexact=email)
        else:
            events.publish(AccountRegistered(user_id=user.pk), tenant=None, actor=None)
            return
    else:
        # Hash anyway, so a known address does not answer measurably faster than a new one.
        make_password(password)
    events.publish(AccountRegistrationRepeated(user_id=existing.pk), tenant=None, actor=None)


@transaction.atomic
def user_email_verify(*, token: str) -> User:
    """Mark the address of the token's user verified; ValidationError on `token` otherwise."""
    user = link_token_user(token=token, purpose="email_verification", lock=True)
    if user is None:
        raise ValidationError({"token": INVALID_LINK})
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    return user


@transaction.atomic
def auth_login(*, email: str, password: str) -> tuple[AuthToken, str]:
    """Check email + password and issue a bearer token.

    Raise InvalidLoginError for a wrong password, an unknown or an inactive account (one
    answer for all three), and EmailNotVerifiedError only when the password was right.
    """
    user = authenticate(email=_normalize_email(email), password=password)
    if user is None:
        raise InvalidLoginError()
    if not user.is_email_verified:
        raise EmailNotVerifiedError()
    return auth_token_create(user=user)


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


def auth_token_revoke_all(*, user: User) -> int:
    """Revoke every bearer token of the user (log out everywhere); return how many."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


def auth_token_purge_expired() -> int:
    """Delete expired bearer tokens; return how many."""
    deleted, _ = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted


@transaction.atomic
def user_password_change(
    *,
    user: User,
    current_password: str,
    new_password: str,
    keep_token: AuthToken | None = None,
) -> User:
    """Replace the user's password after checking the current one.

    Every bearer token of the user but `keep_token` (the caller's) is revoked. Raise
    ValidationError on `current_password` (wrong) or `new_password` (validators).
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(current_password):
        raise ValidationError({"current_password": "The current password is not correct."})
    validate_new_password(new_password, user=user, field="new_password")
    user.set_password(new_password, keep_token=keep_token)
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Email a password-reset link to the address if an active account uses it.

    The lookup happens in the task, so the request does the same work for every address.
    """
    email = _normalize_email(email)
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    events.publish(PasswordResetRequested(email=email), tenant=None, actor=None)


@transaction.atomic
def password_reset_confirm(*, token: str, new_password: str) -> User:
    """Set a new password through a reset link; the link also proves the mailbox.

    Revokes every bearer token of the user (as any password change does). Raise
    ValidationError on `token` (malformed, tampered, expired or used) or `new_password`.
    """
    user = link_token_user(token=token, purpose="password_reset", lock=True)
    if user is None:
        raise ValidationError({"token": INVALID_LINK})
    validate_new_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    fields = ["password"]
    if not user.is_email_verified:
        user.email_verified_at = timezone.now()
        fields.append("email_verified_at")
    user.save(update_fields=fields)
    return user
