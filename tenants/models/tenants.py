"""Tenants and who may act in them: memberships and roles, API keys, invitations (global
control tables: read before any tenant is known)."""

import uuid
from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from tenants.models.accounts import User

# Per-tenant settings and their defaults; later features add keys here and to
# tenants.api.serializers.TenantSettingsSerializer.
TENANT_SETTINGS_DEFAULTS: dict = {
    "assignment_strategy": "manual",
    "unassigned_escalation_hours": 48,
    "help_center_enabled": True,
    "auto_assign": False,
    "search_language": "english",
}

# The languages ticket search stems by: PostgreSQL 15's built-in text search configurations
# (pg_catalog; tests/tickets/search checks each exists). "simple" only lowercases: no stemming,
# no stop words. Changing it rebuilds the tenant's search documents (docs/search.md).
SEARCH_LANGUAGES = (
    "simple",
    "arabic", "armenian", "basque", "catalan", "danish", "dutch", "english", "finnish",
    "french", "german", "greek", "hindi", "hungarian", "indonesian", "irish", "italian",
    "lithuanian", "nepali", "norwegian", "portuguese", "romanian", "russian", "serbian",
    "spanish", "swedish", "tamil", "turkish", "yiddish",
)  # fmt: skip


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
    # Takes new tickets from automatic assignment (off: away, on leave, at capacity).
    is_available = models.BooleanField(default=True)
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
