"""Accounts: registration, bearer tokens."""

from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from knox.models import AuthToken

from tenants.models import User


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
