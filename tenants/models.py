"""Users, tenants, memberships, invitations, API keys (global control tables) and the tenancy
base model.

Control tables (User, Tenant, Membership, Invitation, ApiKey, knox tokens) are global:
authentication, tenant resolution and accepting an invitation (looked up by its token) read them
before any tenant is known. Everything a tenant owns inherits
TenantModel: `tenant_id NOT NULL`, a fail-closed default manager, `UNIQUE (tenant_id, id)` and
the RLS policy.
"""

import uuid
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from tenants.context import require_tenant_id
from tenants.db import TenantRLS


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


# Per-tenant settings and their defaults; later features add keys here and to
# tenants.api.serializers.TenantSettingsSerializer.
TENANT_SETTINGS_DEFAULTS: dict = {
    "assignment_strategy": "manual",
    "unassigned_escalation_hours": 48,
    "help_center_enabled": True,
}


# The assignment strategies a tenant may choose. "manual" (a person picks) always runs; an app
# that can pick by itself registers the strategy once it is loaded (tickets' AppConfig).
ASSIGNMENT_STRATEGIES: set[str] = {"manual"}


def assignment_strategy_register(name: str) -> None:
    """Offer `name` in tenant settings (the registering app runs it)."""
    ASSIGNMENT_STRATEGIES.add(name)


class Tenant(models.Model):
    """A customer company. Its slug is its address (/api/v1/t/<slug>/) and never changes."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC")
    settings = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.slug

    @property
    def effective_settings(self) -> dict:
        return {**TENANT_SETTINGS_DEFAULTS, **(self.settings or {})}


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    SUPERVISOR = "supervisor", "Supervisor"
    AGENT = "agent", "Agent"
    VIEWER = "viewer", "Viewer"


ROLE_RANK: dict[str, int] = {
    Role.VIEWER: 1,
    Role.AGENT: 2,
    Role.SUPERVISOR: 3,
    Role.ADMIN: 4,
    Role.OWNER: 5,
}

# API keys act for integrations, never as owners.
API_KEY_ROLES = [Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.VIEWER]


class Membership(models.Model):
    """A user's role in one tenant."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    is_senior = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="tenants_membership_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "role"], name="tenants_membership_role_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.tenant_id}:{self.role}"


class ApiKey(models.Model):
    """A tenant's machine credential. Only a SHA-256 of the key is stored; shown once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=16, choices=Role.choices)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    # The person every key traces to: whoever created it, or, for a key created by a key, the
    # person at the root of that chain. The key acts with at most this person's current role.
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The key that created this one (None when a person did).
    created_by_key = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "created_at"], name="tenants_apikey_tenant_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"
    # Stored only when a newer invitation replaces a lapsed one; a pending invitation past its
    # expires_at reads as expired too (Invitation.current_status).
    EXPIRED = "expired", "Expired"


INVITATION_TTL = timedelta(days=7)


class Invitation(models.Model):
    """An offer to join a tenant with a role, sent to an email address.

    A control table like Membership: accepting finds the invitation by its token before any
    tenant is known. Only a SHA-256 of the emailed token is stored; it is minted by the email
    task, replaced by a resend and cleared once the invitation is accepted or revoked.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)  # lower-case
    role = models.CharField(max_length=16, choices=Role.choices)
    is_senior = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # The person behind the invitation (for an API key, the person the key traces to).
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_by_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # One live offer per address and tenant; concurrent invitations cannot both win.
            models.UniqueConstraint(
                fields=["tenant", "email"],
                condition=Q(status="pending"),
                name="tenants_invitation_pending_uniq",
            ),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="tenants_invitation_email_lower"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="tenants_invitation_tenant_idx")
        ]

    def __str__(self) -> str:
        # No email address: str() reaches the admin's global change log.
        return f"invitation {self.public_id}"

    @property
    def current_status(self) -> str:
        """The status as the API shows it: a pending invitation past its expiry is expired."""
        if self.status == InvitationStatus.PENDING and self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return self.status


# --- Tenancy base -----------------------------------------------------------------------------


class TenantQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        tenant_id = require_tenant_id()
        for obj in objs:
            if obj.tenant_id is None:
                obj.tenant_id = tenant_id
        return super().bulk_create(objs, *args, **kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Default manager of tenant models: scoped to the current tenant, raises outside one."""

    def get_queryset(self):
        return super().get_queryset().filter(tenant_id=require_tenant_id())

    def none(self):
        # Reads no rows, so needs no tenant (the OpenAPI generator builds filters from it).
        return super().get_queryset().none()


class TenantModel(models.Model):
    """Base of every tenant-owned table."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    public_id = models.UUIDField(default=uuid.uuid4, editable=False)

    objects = TenantManager()
    # The escape hatch, named so it can be grepped for. RLS still applies underneath it.
    unscoped = models.Manager()

    class Meta:
        abstract = True
        default_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "id"], name="%(app_label)s_%(class)s_tenant_id_uniq"
            ),
            models.UniqueConstraint(
                fields=["tenant", "public_id"], name="%(app_label)s_%(class)s_tenant_pub_uniq"
            ),
            TenantRLS(name="%(app_label)s_%(class)s_rls"),
        ]

    def save(self, *args, **kwargs):
        if self.tenant_id is None:
            self.tenant_id = require_tenant_id()
        super().save(*args, **kwargs)

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        # save() updates go through the base manager (WHERE id = …); keep a literal tenant
        # predicate on them too, for the query auditor today and Citus routing tomorrow.
        base_qs = base_qs.filter(tenant_id=self.tenant_id)
        return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)


def historical_reference(to) -> models.ForeignKey:
    """A nullable reference that must outlive its target (who did it, who uploaded it).

    No database constraint and no ON DELETE rewrite: append-only and history rows keep the id
    of a user or key that is gone, and readers get None through select_related.
    """
    return models.ForeignKey(
        to,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )


class AuditLogEntry(TenantModel):
    """Append-only record of a security-relevant change (membership, role, keys, settings)."""

    # The audit table is append-only, so no ON DELETE may rewrite it; actor_label keeps the
    # readable name.
    actor_user = historical_reference(User)
    actor_api_key = historical_reference(ApiKey)
    actor_label = models.CharField(max_length=254)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=254, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = TenantModel.Meta.constraints
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="tenants_audit_time_idx"),
            models.Index(fields=["tenant", "action"], name="tenants_audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"


class IdempotencyRecord(TenantModel):
    """The stored outcome of a POST sent with an Idempotency-Key (kept 24 h by default).

    Written in the same transaction as the effects of the request, so a key is recorded
    exactly when its effects committed; a retry then replays the stored response.
    """

    principal = models.CharField(max_length=64)  # "user:<uuid>" or "api-key:<uuid>"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "principal", "key"], name="tenants_idempotency_key_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "expires_at"], name="tenants_idempotency_exp_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"
