"""Reads of the knowledge base: categories, articles (drafts included) and revisions."""

from dataclasses import dataclass

from django.db.models import QuerySet

from knowledge_base.models import Article, ArticleRevision, ArticleStatus, Category
from knowledge_base.search import (
    SEARCH_LIMIT,
    SUGGESTION_LIMIT,
    SearchHit,
    article_search_hits,
    build_any_query,
    build_prefix_query,
)
from tenants.models import Tenant
from tickets.models import Ticket


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


@dataclass(frozen=True)
class ArticleHit:
    article: Article
    hit: SearchHit


def _with_articles(*, tenant: Tenant, hits: list[SearchHit]) -> list[ArticleHit]:
    articles = article_list(tenant=tenant).in_bulk([h.article_id for h in hits])
    # An article deleted between the two reads (same transaction: never) is skipped.
    return [ArticleHit(articles[h.article_id], h) for h in hits if h.article_id in articles]


def article_search(
    *, tenant: Tenant, query: str, status: str | None = None, limit: int = SEARCH_LIMIT
) -> list[ArticleHit]:
    """Return the tenant's best `limit` articles for `query` (every status unless `status`),
    ranked title above excerpt/tags above body, the last word matched as a prefix, with
    highlights. Two queries whatever the number of matches. Inside the tenant's context."""
    hits = article_search_hits(tsquery=build_prefix_query(query), status=status, limit=limit)
    return _with_articles(tenant=tenant, hits=hits) if hits else []


def article_suggestions(*, tenant: Tenant, ticket: Ticket) -> list[ArticleHit]:
    """Return the tenant's top published articles for a ticket: any of the words of its
    subject and description, ranked. Two queries at most. Inside the tenant's context."""
    text = f"{ticket.subject}\n{ticket.description}"
    hits = article_search_hits(
        tsquery=build_any_query(text), status=ArticleStatus.PUBLISHED, limit=SUGGESTION_LIMIT
    )
    return _with_articles(tenant=tenant, hits=hits) if hits else []
