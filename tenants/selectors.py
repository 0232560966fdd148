"""Reads of the tenants app."""

from django.db.models import OuterRef, QuerySet, Subquery

from config.errors import NotFoundError
from tenants.access import TenantAccess
from tenants.compiled import CompiledQuery
from tenants.context import tenant_settings_applied_by
from tenants.models import (
    ROLE_RANK,
    ApiKey,
    AuditLogEntry,
    Invitation,
    Membership,
    Role,
    Tenant,
    User,
)


def _membership_query(*, apply_context: bool) -> CompiledQuery:
    def build(user_id: int, slug: str) -> QuerySet[Membership]:
        memberships = Membership.objects.select_related("tenant").filter(
            user_id=user_id, is_active=True, tenant__slug=slug, tenant__is_active=True
        )
        if apply_context:
            # One membership per (user, tenant): the settings are applied for that row alone.
            memberships = memberships.annotate(
                _settings=tenant_settings_applied_by('"tenants_membership"."tenant_id"')
            )
        return memberships.order_by()[:1]

    return CompiledQuery(build, user_id=int, slug=str)


# Every tenant request starts with this query: compiled once per process (tenants.compiled).
_MEMBERSHIP = {flag: _membership_query(apply_context=flag) for flag in (False, True)}


def tenant_access_resolve(
    *, user, api_key: ApiKey | None, slug: str, apply_context: bool = False
) -> TenantAccess | None:
    """Return the caller's access to the tenant `slug`, or None (unknown OR not a member).

    One query for users (tenant + membership joined), none for API keys (loaded with their
    tenant and their creator's role at authentication, api_key_for_authentication). The
    caller answers None with the same 404 either way.

    `apply_context`: a user's query also applies the tenant's database settings when it finds
    the membership (tenants.context.tenant_settings_applied_by), and the access says so
    (`context_applied`); call it inside the transaction the request runs in.
    """
    if api_key is not None:
        role = api_key_effective_role(api_key)
        if api_key.tenant.slug != slug or role is None:
            return None
        return TenantAccess(tenant=api_key.tenant, role=role, api_key=api_key)
    found = _MEMBERSHIP[apply_context].fetch(user_id=user.pk, slug=slug)
    if not found:
        return None
    [membership] = found
    membership.user = user  # the caller, as authenticated: no second read of the account
    return TenantAccess(
        tenant=membership.tenant,
        role=membership.role,
        membership=membership,
        context_applied=apply_context,
    )


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    """Return the user's active memberships in active tenants."""
    return (
        Membership.objects.select_related("tenant")
        .filter(user=user, is_active=True, tenant__is_active=True)
        .order_by("tenant__slug")
    )


def member_list(*, tenant: Tenant) -> QuerySet[Membership]:
    """Return the tenant's memberships with their users."""
    return Membership.objects.select_related("user").filter(tenant=tenant)


def owner_count(*, tenant: Tenant) -> int:
    """Return how many active owners the tenant has."""
    return Membership.objects.filter(tenant=tenant, role=Role.OWNER, is_active=True).count()


def api_key_list(*, tenant: Tenant) -> QuerySet[ApiKey]:
    """Return the tenant's API keys, revoked ones included."""
    return ApiKey.objects.select_related("created_by", "created_by_key").filter(tenant=tenant)


def api_key_for_authentication(*, prefix: str) -> ApiKey | None:
    """Return the live key with this prefix, its tenant and its creator's current role.

    One query: the role of the person the key traces to (`created_by`) comes from a subquery,
    as `creator_role` (None when that person is no longer an active member of the tenant).
    """
    creator_role = Membership.objects.filter(
        tenant=OuterRef("tenant"),
        user=OuterRef("created_by"),
        is_active=True,
        user__is_active=True,  # a deactivated account stands behind nothing
    ).values("role")[:1]
    return (
        ApiKey.objects.select_related("tenant")
        .annotate(creator_role=Subquery(creator_role))
        .filter(prefix=prefix, revoked_at__isnull=True, tenant__is_active=True)
        .first()
    )


def api_key_effective_role(api_key: ApiKey) -> str | None:
    """Return the role a key acts with: the lower of its own and its creator's current role.

    None (the key acts as nobody) when its creator is gone or inactive, or when the key was
    not loaded through api_key_for_authentication.
    """
    creator_role = getattr(api_key, "creator_role", None)
    if creator_role is None:
        return None
    return min(api_key.role, creator_role, key=ROLE_RANK.__getitem__)


def invitation_list(*, tenant: Tenant) -> QuerySet[Invitation]:
    """Return the tenant's invitations (every status) with their inviters."""
    return Invitation.objects.select_related("invited_by").filter(tenant=tenant)


def audit_log_list(*, tenant: Tenant) -> QuerySet[AuditLogEntry]:
    """Return the tenant's audit trail (inside the tenant context)."""
    return AuditLogEntry.objects.select_related("actor_user").filter(tenant=tenant)


def tenant_get(*, slug: str) -> Tenant:
    """Return the active tenant with this slug (public routes name it in their URL).

    Raises NotFoundError for an unknown and a deactivated tenant alike.
    """
    tenant = Tenant.objects.filter(slug=slug, is_active=True).first()
    if tenant is None:
        raise NotFoundError()
    return tenant


def tenant_get_for_update(*, tenant: Tenant) -> Tenant:
    """Lock an active tenant's row (FOR NO KEY UPDATE: inserts into its tables go on) until
    the transaction ends and return it as committed now; NotFoundError once it is deleted."""
    locked = Tenant.objects.select_for_update(no_key=True).filter(pk=tenant.pk, is_active=True)
    fresh = locked.first()
    if fresh is None:
        raise NotFoundError()
    return fresh
