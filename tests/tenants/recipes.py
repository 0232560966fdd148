from django.utils import timezone
from model_bakery.recipe import Recipe, foreign_key, seq

from tenants.models import (
    INVITATION_TTL,
    ApiKey,
    AuditLogEntry,
    IdempotencyRecord,
    Invitation,
    Membership,
    Role,
    Tenant,
    User,
)

# Verified by default: most tests need a user who can log in. Registration makes unverified
# accounts; unverified_user_recipe stands for one.
user_recipe = Recipe(
    User,
    email=seq("user", suffix="@example.test"),
    name=seq("User "),
    email_verified_at=timezone.now,
)
unverified_user_recipe = user_recipe.extend(email_verified_at=None)
tenant_recipe = Recipe(Tenant, slug=seq("tenant-"), name=seq("Tenant "), timezone="UTC")
membership_recipe = Recipe(
    Membership,
    user=foreign_key(user_recipe),
    tenant=foreign_key(tenant_recipe),
    role=Role.AGENT,
)
api_key_recipe = Recipe(
    ApiKey,
    tenant=foreign_key(tenant_recipe),
    name=seq("key "),
    role=Role.AGENT,
    prefix=seq("pfx"),
    key_hash="0" * 64,
)
# Make inside tenant_context(tenant): RLS refuses the insert otherwise.
audit_entry_recipe = Recipe(
    AuditLogEntry,
    actor_label="system",
    action=seq("test.action"),
    target_type="thing",
    target_id=seq("id-"),
)
idempotency_record_recipe = Recipe(
    IdempotencyRecord,
    principal="user:test",
    key=seq("key-"),
    fingerprint="0" * 64,
    method="POST",
    path="/x/",
    response_status=201,
    expires_at=lambda: timezone.now() + timezone.timedelta(hours=24),
)
invitation_recipe = Recipe(
    Invitation,
    tenant=foreign_key(tenant_recipe),
    email=seq("invitee", suffix="@example.test"),
    role=Role.AGENT,
    expires_at=lambda: timezone.now() + INVITATION_TTL,
)
