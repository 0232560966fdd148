"""Reads of the knowledge base: categories, articles (drafts included) and revisions."""

from django.db.models import QuerySet

from knowledge_base.models import Article, ArticleRevision, Category
from tenants.models import Tenant


def category_list(*, tenant: Tenant) -> QuerySet[Category]:
    """Return the tenant's categories in their order, with their parent (one query)."""
    return (
        Category.objects.filter(tenant=tenant).select_related("parent").order_by("position", "id")
    )


def article_list(*, tenant: Tenant) -> QuerySet[Article]:
    """Return the tenant's articles, every status, with category and author (one query)."""
    return Article.objects.filter(tenant=tenant).select_related("category", "author")


def article_revision_list(*, tenant: Tenant, article: Article) -> QuerySet[ArticleRevision]:
    """Return one article's revisions, newest first, with their editor."""
    return (
        ArticleRevision.objects.filter(tenant=tenant, article=article)
        .select_related("edited_by")
        .order_by("-created_at", "-id")
    )
