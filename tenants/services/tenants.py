"""Tenants: create, update, deactivate."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tenants.access import Actor
from tenants.models import Role, Tenant
from tenants.selectors import tenant_get_for_update
from tenants.services.audit import audit_log_record
from tenants.services.members import member_create
from tenants.tasks_base import enqueue_on_commit
from tenants.validation import TENANT_UPDATE_RULES, fields_clean

_TENANT_AUDITED_FIELDS = ("name", "timezone", "settings")
# Rebuilds a tenant's ticket search documents after its search language changed (by name: the
# tickets app builds on this one).
SEARCH_REBUILD_TASK = "tickets.tasks.ticket_search_rebuild_task"


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
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="tenant.created",
        target_type="tenant",
        target_id=tenant.slug,
        target_label=tenant.name,
        after=_tenant_snapshot(tenant),
    )
    member_create(tenant=tenant, actor=actor, user=actor.user, role=Role.OWNER)
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
    """Change a tenant's name, timezone or settings (merged key by key); audit the change.

    Works on the locked row, so concurrent updates merge their settings instead of losing
    one; NotFoundError when the tenant was deleted meanwhile, ValidationError (before the lock)
    for a bad name, time zone or settings object.
    """
    given = {"name": name, "timezone_name": timezone_name, "settings": settings}
    cleaned = fields_clean({k: v for k, v in given.items() if v is not None}, TENANT_UPDATE_RULES)
    name, timezone_name = cleaned.get("name"), cleaned.get("timezone_name")
    settings = cleaned.get("settings")
    tenant = tenant_get_for_update(tenant=tenant)
    before = _tenant_snapshot(tenant)
    if name is not None:
        tenant.name = name
    if timezone_name is not None:
        tenant.timezone = timezone_name
    language_before = tenant.effective_settings["search_language"]
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
    if tenant.effective_settings["search_language"] != language_before:
        # Robust: the change is committed whatever the broker says; until a rebuild runs,
        # search finds both languages' forms (docs/search.md).
        enqueue_on_commit(SEARCH_REBUILD_TASK, robust=True, tenant_id=tenant.pk)
    return tenant


@transaction.atomic
def tenant_delete(*, tenant: Tenant, actor: Actor) -> None:
    """Deactivate a tenant: its routes answer 404 from now on and its API keys stop working.

    The rows stay (soft delete) so an operator can restore or purge them deliberately; the slug
    stays reserved. Deleting a deleted tenant (two requests at once) is a NotFoundError.
    """
    tenant = tenant_get_for_update(tenant=tenant)
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
