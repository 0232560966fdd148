"""Rules and helpers the knowledge-base services share."""

from collections.abc import Collection
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify

from config.errors import PreconditionFailedError
from tenants.access import Actor
from tenants.models import Tenant
from tenants.services.audit import audit_log_record
from tenants.validation import text_check

# What If-Match asked for: one version, any of several (a list of tags), or None (anything).
ExpectedVersion = int | Collection[int] | None
INVALID_SLUG = 'Enter a valid "slug" of lowercase letters, numbers, underscores or hyphens.'


def version_check(obj, expected_version: ExpectedVersion) -> None:
    """Raise PreconditionFailedError unless the object is at the expected version."""
    if expected_version is None:
        return
    expected = {expected_version} if isinstance(expected_version, int) else expected_version
    if obj.version not in expected:
        raise PreconditionFailedError(extra={"version": obj.version})


def slug_rule(model: type[models.Model]):
    """A rule for `model.slug`: a non-empty slug within the field's max_length, as stored
    (lowercase ASCII letters, digits, `-` and `_`)."""
    max_length = model._meta.get_field("slug").max_length

    def rule(field: str, value: Any) -> str:
        text = text_check(field, value, max_length=max_length, blank=False)
        if slugify(text) != text or text != text.lower():
            raise ValidationError({field: INVALID_SLUG})
        return text

    return rule


def slug_from(text: str, *, max_length: int, fallback: str) -> str:
    """A slug made from `text` (a title or name), or `fallback` when nothing is left."""
    return slugify(text)[:max_length].strip("-_") or fallback


def in_tenant_check(field: str, obj, tenant: Tenant, model: type[models.Model]):
    """Return `obj` if it is a `model` row of `tenant` (or None)."""
    if obj is None:
        return None
    if not isinstance(obj, model) or obj.tenant_id != tenant.pk:
        raise ValidationError({field: "Object does not exist."})
    return obj


def audit(
    tenant: Tenant,
    actor: Actor,
    action: str,
    target_type: str,
    obj,
    label: str,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(obj.public_id),
        target_label=label[:200],
        before=before,
        after=after,
    )
