"""People: the user account (a global control table; email is the login)."""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        # Platform staff are made by operators (createsuperuser), not by self-registration:
        # their address is taken as verified.
        extra.setdefault("email_verified_at", timezone.now())
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in by email; belongs to tenants through memberships."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    # Platform staff only; tenant supervisors reach the admin through their role.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the owner proved they read this mailbox (verification or password-reset link);
    # bearer tokens are issued to verified addresses only.
    email_verified_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="tenants_user_email_ci_uniq"),
        ]

    def __str__(self) -> str:
        return self.email

    # Access ends when its reason ends: a new (or disabled) password revokes every bearer token
    # of the user, whoever changes it — the API, a password reset, the Django admin, or
    # set_password() + save() in a shell. The hook is here because this is the one place all
    # of those go through; browser sessions end by themselves (Django's session hash).
    _token_kept = None
    _password_disabled = False

    def set_password(self, raw_password, *, keep_token=None):
        """Set a new password; the save that stores it revokes the user's bearer tokens.

        `keep_token` (a knox AuthToken of this user) survives: the caller changing their own
        password keeps the token they made the request with.
        """
        super().set_password(raw_password)
        self._token_kept = keep_token
        # set_password(None) makes the password unusable; Django then keeps no raw password.
        self._password_disabled = raw_password is None

    def set_unusable_password(self):
        super().set_unusable_password()
        self._password_disabled = True
        self._token_kept = None

    def save(self, *args, **kwargs):
        # Django holds the raw password in _password from set_password() until the save that
        # stores it (that is how its own password_changed() hook works). A hasher upgrade on
        # login clears it before saving, so a rehash revokes nothing.
        update_fields = kwargs.get("update_fields")
        stored = update_fields is None or "password" in update_fields
        changed = stored and (self._password is not None or self._password_disabled)
        if not changed:
            return super().save(*args, **kwargs)
        keep, self._token_kept, self._password_disabled = self._token_kept, None, False
        if self._state.adding:  # a new account has no tokens yet
            return super().save(*args, **kwargs)
        with transaction.atomic(using=kwargs.get("using")):  # the password and its revocation
            super().save(*args, **kwargs)
            tokens = self.auth_token_set.all()
            if keep is not None:
                tokens = tokens.exclude(pk=keep.pk)
            tokens.delete()

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None
