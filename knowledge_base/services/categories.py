"""Knowledge-base categories: ordered, at most one level deep, slug unique per tenant.

A category that still holds articles or child categories cannot be deleted (409): its articles
are moved or deleted first, so nothing is left uncategorised by surprise.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from config.errors import ConflictError, NotFoundError
from knowledge_base.models import Article, Category
from knowledge_base.services.common import (
    ExpectedVersion,
    audit,
    in_tenant_check,
    slug_from,
    slug_rule,
    version_check,
)
from tenants.access import Actor
from tenants.models import Tenant
from tenants.validation import fields_clean, model_rule

POSITION_RANGE = (-1_000_000, 1_000_000)
SLUG_TAKEN = "A category with this slug already exists."
TOO_DEEP = "Categories are one level deep: the parent must not have a parent itself."


class CategoryNotEmptyError(ConflictError):
    code = "category_not_empty"
    message = "This category still holds articles or categories; move or delete them first."


def _position_rule(field: str, value: Any) -> int:
    low, high = POSITION_RANGE
    if type(value) is not int:
        raise ValidationError({field: "A valid integer is required."})
    if not low <= value <= high:
        raise ValidationError({field: f"Ensure this value is between {low} and {high}."})
    return value


CATEGORY_RULES = {
    "name": model_rule(Category, "name", blank=False),
    "slug": slug_rule(Category),
    "description": model_rule(Category, "description", max_length=2000),
    "position": _position_rule,
}


def category_get_for_update(*, tenant: Tenant, category_id: int) -> Category:
    """Lock the category (read again after the lock). Raises NotFoundError when gone."""
    category = Category.objects.select_for_update().filter(tenant=tenant, pk=category_id).first()
    if category is None:
        raise NotFoundError()
    return category


def _lock_parent(tenant: Tenant, parent: Category | None, *, child_id: int | None) -> None:
    # Locked, then checked: a concurrent change cannot give the parent a parent meanwhile.
    if parent is None:
        return
    locked = Category.objects.select_for_update().filter(tenant=tenant, pk=parent.pk).first()
    if locked is None:
        raise ValidationError({"parent": "Object does not exist."})
    if locked.pk == child_id:
        raise ValidationError({"parent": "A category cannot be its own parent."})
    if locked.parent_id is not None:
        raise ValidationError({"parent": TOO_DEEP})


def _free_slug(tenant: Tenant, name: str) -> str:
    """A slug made from the name, numbered (-2, -3…) past the tenant's existing ones."""
    max_length = Category._meta.get_field("slug").max_length - 8
    base = slug_from(name, max_length=max_length, fallback="category")
    slug, n = base, 1
    while Category.objects.filter(tenant=tenant, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _save(category: Category, **kwargs) -> None:
    try:
        with transaction.atomic():
            category.save(**kwargs)
    except IntegrityError as exc:
        if "kb_category_slug_uniq" in str(exc):
            raise ValidationError({"slug": SLUG_TAKEN}) from exc
        raise


def _audited(category: Category) -> dict[str, Any]:
    return {
        "name": category.name,
        "slug": category.slug,
        "parent": str(category.parent.public_id) if category.parent_id else None,
        "position": category.position,
    }


@transaction.atomic
def category_create(
    *,
    tenant: Tenant,
    actor: Actor,
    name: Any,
    slug: Any = None,
    description: Any = "",
    parent: Category | None = None,
    position: Any = 0,
) -> Category:
    """Add a category (slug made from the name when not given). Raises ValidationError."""
    values = {"name": name, "description": description, "position": position}
    if slug is not None:
        values["slug"] = slug
    cleaned = fields_clean(values, CATEGORY_RULES)
    if "slug" not in cleaned:
        cleaned["slug"] = _free_slug(tenant, cleaned["name"])
    in_tenant_check("parent", parent, tenant, Category)
    _lock_parent(tenant, parent, child_id=None)
    category = Category(tenant=tenant, parent=parent, **cleaned)
    category.full_clean(exclude=["tenant", "slug", "parent"], validate_constraints=False)
    _save(category)
    audit(
        tenant,
        actor,
        "kb_category.created",
        "kb_category",
        category,
        category.name,
        after=_audited(category),
    )
    return category


_UNSET = object()


@transaction.atomic
def category_update(
    *,
    tenant: Tenant,
    actor: Actor,
    category: Category,
    expected_version: ExpectedVersion = None,
    parent: Any = _UNSET,
    **changes: Any,
) -> Category:
    """Change a category's name, slug, description, position or parent. Raises
    ValidationError, NotFoundError, PreconditionFailedError."""
    cleaned = fields_clean(changes, CATEGORY_RULES)
    if parent is not _UNSET:
        in_tenant_check("parent", parent, tenant, Category)
    if parent is not _UNSET and parent is not None:
        # Both rows locked in id order (two categories made each other's parent at once would
        # otherwise deadlock).
        ids = sorted({category.pk, parent.pk})
        list(Category.objects.select_for_update().filter(tenant=tenant, pk__in=ids).order_by("pk"))
    locked = category_get_for_update(tenant=tenant, category_id=category.pk)
    version_check(locked, expected_version)
    before = _audited(locked)
    if parent is not _UNSET and parent is not None:
        _lock_parent(tenant, parent, child_id=locked.pk)
        if Category.objects.filter(tenant=tenant, parent=locked).exists():
            raise ValidationError({"parent": "A category with children cannot get a parent."})
    changed = [name for name, value in cleaned.items() if getattr(locked, name) != value]
    if parent is not _UNSET and locked.parent_id != (parent.pk if parent else None):
        locked.parent = parent
        changed.append("parent")
    if not changed:
        return locked
    for name in changed:
        if name != "parent":
            setattr(locked, name, cleaned[name])
    locked.version += 1
    _save(locked, update_fields=[*changed, "version", "updated_at"])
    after = _audited(locked)
    audit(
        tenant,
        actor,
        "kb_category.updated",
        "kb_category",
        locked,
        locked.name,
        before={k: before[k] for k in changed if k in before},
        after={k: after[k] for k in changed if k in after},
    )
    return locked


@transaction.atomic
def category_delete(
    *, tenant: Tenant, actor: Actor, category: Category, expected_version: ExpectedVersion = None
) -> None:
    """Delete an empty category. Raises CategoryNotEmptyError (articles or children),
    NotFoundError, PreconditionFailedError."""
    locked = category_get_for_update(tenant=tenant, category_id=category.pk)
    version_check(locked, expected_version)
    # Article writes lock the category they file into, so none can arrive after this check.
    if (
        Article.objects.filter(tenant=tenant, category=locked).exists()
        or Category.objects.filter(tenant=tenant, parent=locked).exists()
    ):
        raise CategoryNotEmptyError()
    audit(
        tenant,
        actor,
        "kb_category.deleted",
        "kb_category",
        locked,
        locked.name,
        before=_audited(locked),
    )
    locked.delete()
