"""Knowledge-base objects the cross-cutting tests (matrices, contract, races) need in a tenant."""

from django.utils import timezone

from tenants.context import tenant_context
from tests.knowledge_base.recipes import (
    article_recipe,
    article_revision_recipe,
    article_slug_recipe,
    category_recipe,
)


def kb_objects(tenant) -> dict:
    """An empty category, a published article (in another category) with one revision and one
    old slug, and a draft: {kb_category, kb_article, kb_revision, kb_draft}."""
    with tenant_context(tenant):
        category = category_recipe.make(tenant=tenant)
        shelf = category_recipe.make(tenant=tenant)
        article = article_recipe.make(
            tenant=tenant, category=shelf, status="published", published_at=timezone.now()
        )
        revision = article_revision_recipe.make(tenant=tenant, article=article)
        article_slug_recipe.make(tenant=tenant, article=article)
        draft = article_recipe.make(tenant=tenant)
    return {
        "kb_category": category,
        "kb_article": article,
        "kb_revision": revision,
        "kb_draft": draft,
    }
