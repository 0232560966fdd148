"""Reads of the knowledge base: categories, articles (drafts included) and revisions."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from config.errors import NotFoundError
from knowledge_base.models import Article, ArticleRevision, ArticleSlug, ArticleStatus, Category
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


def _with_articles(
    *, tenant: Tenant, hits: list[SearchHit], status: str | None = None
) -> list[ArticleHit]:
    articles = article_list(tenant=tenant)
    if status is not None:
        articles = articles.filter(status=status)
    articles = articles.in_bulk([h.article_id for h in hits])
    # Two statements, two snapshots (READ COMMITTED): an article deleted, or one that left
    # `status` (archived, restored as a draft), between them is skipped.
    return [ArticleHit(articles[h.article_id], h) for h in hits if h.article_id in articles]


def article_search(
    *, tenant: Tenant, query: str, status: str | None = None, limit: int = SEARCH_LIMIT
) -> list[ArticleHit]:
    """Return the tenant's best `limit` articles for `query` (every status unless `status`),
    ranked title above excerpt/tags above body, the last word matched as a prefix, with
    highlights. Two queries whatever the number of matches. Inside the tenant's context."""
    hits = article_search_hits(tsquery=build_prefix_query(query), status=status, limit=limit)
    return _with_articles(tenant=tenant, hits=hits, status=status) if hits else []


def article_suggestions(*, tenant: Tenant, ticket: Ticket) -> list[ArticleHit]:
    """Return the tenant's top published articles for a ticket: any of the words of its
    subject and description, ranked. Two queries at most. Inside the tenant's context."""
    text = f"{ticket.subject}\n{ticket.description}"
    hits = article_search_hits(
        tsquery=build_any_query(text), status=ArticleStatus.PUBLISHED, limit=SUGGESTION_LIMIT
    )
    return _with_articles(tenant=tenant, hits=hits, status=ArticleStatus.PUBLISHED) if hits else []


# --- The public help center: published articles only ------------------------------------------


def _published(tenant: Tenant) -> QuerySet[Article]:
    return Article.objects.filter(tenant=tenant, status=ArticleStatus.PUBLISHED).order_by()


def _holds_published(tenant: Tenant) -> Q:
    # A category is on the help center when it, or one of its subcategories, holds a
    # published article: an empty or draft-only category may name what is not public yet.
    # Two EXISTS, each an index probe (kb_article_pub_category_idx), rather than one with OR.
    return Q(Exists(_published(tenant).filter(category=OuterRef("pk")))) | Q(
        Exists(_published(tenant).filter(category__parent=OuterRef("pk")))
    )


def help_category_list(*, tenant: Tenant) -> QuerySet[Category]:
    """Return the tenant's categories that hold published articles (themselves or in a
    subcategory) in their order, each with its parent and its number of published articles
    (`published_count`), in one query."""
    count = (
        _published(tenant)
        .filter(category=OuterRef("pk"))
        .values("category")
        .annotate(n=Count("category"))
        .values("n")
    )
    return (
        category_list(tenant=tenant)
        .filter(_holds_published(tenant))
        .annotate(published_count=Coalesce(Subquery(count), 0))
    )


def help_article_list(*, tenant: Tenant, category: Category | None = None) -> QuerySet[Article]:
    """Return the tenant's published articles (in `category` or its subcategories when given)
    with their category, newest first; drafts and archived articles never."""
    articles = (
        Article.objects.filter(tenant=tenant, status=ArticleStatus.PUBLISHED)
        .select_related("category")
        .order_by("-published_at", "-id")
    )
    if category is not None:
        # Its subcategories by a subquery (a hashed set), not a join per article.
        children = Category.objects.filter(tenant=tenant, parent=category).values("pk")
        articles = articles.filter(Q(category=category) | Q(category__in=children))
    return articles


def help_category_get(*, tenant: Tenant, slug: str) -> Category:
    """Return the tenant's category with this slug if it is on the help center (holds
    published articles, see help_category_list). Raises NotFoundError."""
    category = (
        Category.objects.filter(tenant=tenant, slug=slug).filter(_holds_published(tenant)).first()
    )
    if category is None:
        raise NotFoundError()
    return category


@dataclass(frozen=True)
class HelpArticle:
    article: Article
    moved: bool  # found by a slug it had before: the caller redirects to article.slug


def help_article_get(*, tenant: Tenant, slug: str) -> HelpArticle:
    """Return the tenant's published article with this slug, or the published article that had
    it before (`moved`). One query, two for a former slug. Raises NotFoundError for anything
    else: no such slug, a draft, an archived article (whatever slug names it)."""
    published = help_article_list(tenant=tenant)
    article = published.filter(slug=slug).first()
    if article is not None:
        return HelpArticle(article, moved=False)
    former = (
        ArticleSlug.objects.filter(
            tenant=tenant, slug=slug, article__status=ArticleStatus.PUBLISHED
        )
        .select_related("article__category")
        .first()
    )
    if former is None:
        raise NotFoundError()
    return HelpArticle(former.article, moved=True)


def help_article_search(*, tenant: Tenant, query: str) -> list[ArticleHit]:
    """Return the tenant's best published articles for `query` (as article_search). Two
    queries at most."""
    return article_search(tenant=tenant, query=query, status=ArticleStatus.PUBLISHED)
