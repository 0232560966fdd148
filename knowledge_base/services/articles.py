"""Knowledge-base articles: drafts, publishing, archiving, revisions and old slugs.

Decisions (docs/knowledge-base.md):
- Editing a published article is an agent's right like editing a draft (kb.write); it stays
  published, and the content it had before is kept as an ArticleRevision. Drafts keep none.
- A changed slug keeps the old one as an ArticleSlug (unique per tenant, with current slugs),
  so the help center can redirect it; an article may take one of its own old slugs back.
- Restoring a revision puts its content back into the same article as a draft (the content it
  replaces is kept as a revision first when the article was published): a supervisor's act,
  since it takes the article off the help center until it is published again.
- Publishing (from draft or archived) publishes `article.published`; only a published article
  can be archived.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import ConflictError, NotFoundError
from knowledge_base.events import ArticlePublished
from knowledge_base.models import (
    TAG_MAX_LENGTH,
    TAGS_MAX,
    Article,
    ArticleRevision,
    ArticleSlug,
    ArticleStatus,
    Category,
)
from knowledge_base.rendering import markdown_render
from knowledge_base.services.common import (
    ExpectedVersion,
    audit,
    in_tenant_check,
    slug_from,
    slug_rule,
    version_check,
)
from tenants import events as event_bus
from tenants.access import Actor
from tenants.models import Tenant
from tenants.validation import fields_clean, model_rule, text_check

SLUG_TAKEN = "An article with this slug (or a former slug of another article) already exists."
CONTENT_FIELDS = ("title", "slug", "body", "excerpt", "tags", "category")
_UNSET = object()


class ArticleStateError(ConflictError):
    code = "article_state"
    message = "The article is not in a state that allows this."


def _tags_rule(field: str, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValidationError({field: "Must be a list of tags."})
    if len(value) > TAGS_MAX:
        raise ValidationError({field: f"Ensure this field has no more than {TAGS_MAX} elements."})
    tags = []
    for item in value:
        tag = text_check(field, item, max_length=TAG_MAX_LENGTH, blank=False)
        tags.append(tag.strip())
    return list(dict.fromkeys(tags))


ARTICLE_RULES = {
    "title": model_rule(Article, "title", blank=False),
    "slug": slug_rule(Article),
    "body": model_rule(Article, "body"),
    "excerpt": model_rule(Article, "excerpt"),
    "tags": _tags_rule,
}
SLUG_MAX_LENGTH = Article._meta.get_field("slug").max_length


def article_get_for_update(*, tenant: Tenant, article_id: int) -> Article:
    """Lock the article (read again after the lock). Raises NotFoundError when gone."""
    article = Article.objects.select_for_update().filter(tenant=tenant, pk=article_id).first()
    if article is None:
        raise NotFoundError()
    return article


def _category_lock(tenant: Tenant, category: Category | None) -> Category | None:
    # Locked so that category_delete, which checks for articles under the same lock, cannot
    # remove it between this check and the insert (the composite FK would fail: a 500).
    in_tenant_check("category", category, tenant, Category)
    if category is None:
        return None
    locked = Category.objects.select_for_update().filter(tenant=tenant, pk=category.pk).first()
    if locked is None:
        raise ValidationError({"category": "Object does not exist."})
    return locked


def _slug_taken(tenant: Tenant, slug: str, article_id: int | None) -> bool:
    others = Article.objects.filter(tenant=tenant, slug=slug)
    old = ArticleSlug.objects.filter(tenant=tenant, slug=slug)
    if article_id is not None:
        others, old = others.exclude(pk=article_id), old.exclude(article_id=article_id)
    return others.exists() or old.exists()


def _free_slug(tenant: Tenant, title: str) -> str:
    base = slug_from(title, max_length=SLUG_MAX_LENGTH - 8, fallback="article")
    slug, n = base, 1
    while _slug_taken(tenant, slug, None):
        n += 1
        slug = f"{base}-{n}"
    return slug


def _save(obj, **kwargs) -> None:
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError as exc:
        if "slug_uniq" in str(exc):
            raise ValidationError({"slug": SLUG_TAKEN}) from exc
        raise


def _audited(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "slug": article.slug,
        "status": article.status,
        "category": str(article.category.public_id) if article.category_id else None,
        "tags": list(article.tags),
    }


def _revision_keep(tenant: Tenant, actor: Actor, article: Article) -> ArticleRevision:
    revision = ArticleRevision(
        tenant=tenant,
        article=article,
        title=article.title,
        slug=article.slug,
        body=article.body,
        excerpt=article.excerpt,
        tags=list(article.tags),
        category_public_id=article.category.public_id if article.category_id else None,
        article_version=article.version,
        edited_by=actor.user,
    )
    revision.save()
    return revision


def _slug_move(tenant: Tenant, article: Article, new_slug: str) -> None:
    """Take `new_slug` (one of the article's own old slugs is taken back), keeping the current
    slug as an old one that redirects only if it is public now: a slug an article had while a
    draft or archived was never on the help center, and a redirect would reveal it."""
    if _slug_taken(tenant, new_slug, article.pk):
        raise ValidationError({"slug": SLUG_TAKEN})
    ArticleSlug.objects.filter(tenant=tenant, article=article, slug=new_slug).delete()
    if article.status == ArticleStatus.PUBLISHED:
        _save(ArticleSlug(tenant=tenant, article=article, slug=article.slug))


@transaction.atomic
def article_create(
    *,
    tenant: Tenant,
    actor: Actor,
    title: Any,
    slug: Any = None,
    body: Any = "",
    excerpt: Any = "",
    tags: Any = None,
    category: Category | None = None,
) -> Article:
    """Add a draft article (slug made from the title when not given), its HTML rendered from
    the Markdown body. Raises ValidationError."""
    values = {"title": title, "body": body, "excerpt": excerpt, "tags": tags or []}
    if slug is not None:
        values["slug"] = slug
    cleaned = fields_clean(values, ARTICLE_RULES)
    category = _category_lock(tenant, category)
    if "slug" in cleaned:
        if _slug_taken(tenant, cleaned["slug"], None):
            raise ValidationError({"slug": SLUG_TAKEN})
    else:
        cleaned["slug"] = _free_slug(tenant, cleaned["title"])
    article = Article(
        tenant=tenant,
        category=category,
        author=actor.user,
        body_html=markdown_render(cleaned["body"]),
        **cleaned,
    )
    _save(article)
    audit(
        tenant,
        actor,
        "kb_article.created",
        "kb_article",
        article,
        article.title,
        after=_audited(article),
    )
    return article


@transaction.atomic
def article_update(
    *,
    tenant: Tenant,
    actor: Actor,
    article: Article,
    expected_version: ExpectedVersion = None,
    category: Any = _UNSET,
    **changes: Any,
) -> Article:
    """Change an article's title, slug, body, excerpt, tags or category. A published article
    stays published and keeps its previous content as a revision; a changed slug is kept as
    an old slug. Raises ValidationError, NotFoundError, PreconditionFailedError."""
    cleaned = fields_clean(changes, ARTICLE_RULES)
    locked = article_get_for_update(tenant=tenant, article_id=article.pk)
    version_check(locked, expected_version)
    if category is not _UNSET:
        cleaned["category"] = _category_lock(tenant, category)
    changed = [name for name, value in cleaned.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    before = _audited(locked)
    if locked.status == ArticleStatus.PUBLISHED:
        _revision_keep(tenant, actor, locked)
    if "slug" in changed:
        _slug_move(tenant, locked, cleaned["slug"])
    for name in changed:
        setattr(locked, name, cleaned[name])
    fields = list(changed)
    if "body" in changed:
        locked.body_html = markdown_render(locked.body)
        fields.append("body_html")
    locked.version += 1
    _save(locked, update_fields=[*fields, "version", "updated_at"])
    after = _audited(locked)
    audit(
        tenant,
        actor,
        "kb_article.updated",
        "kb_article",
        locked,
        locked.title,
        before={k: before[k] for k in changed if k in before},
        after={k: after[k] for k in changed if k in after},
    )
    return locked


def _status_change(
    tenant: Tenant,
    actor: Actor,
    article: Article,
    *,
    allowed_from: tuple[str, ...],
    to: str,
    expected_version: ExpectedVersion,
) -> Article:
    locked = article_get_for_update(tenant=tenant, article_id=article.pk)
    version_check(locked, expected_version)
    if locked.status not in allowed_from:
        raise ArticleStateError(extra={"status": locked.status})
    before = locked.status
    locked.status = to
    fields = ["status", "version", "updated_at"]
    if to == ArticleStatus.PUBLISHED:
        locked.published_at = timezone.now()
        fields.append("published_at")
    locked.version += 1
    locked.save(update_fields=fields)
    audit(
        tenant,
        actor,
        f"kb_article.{to}",
        "kb_article",
        locked,
        locked.title,
        before={"status": before},
        after={"status": to},
    )
    return locked


@transaction.atomic
def article_publish(
    *, tenant: Tenant, actor: Actor, article: Article, expected_version: ExpectedVersion = None
) -> Article:
    """Publish a draft or archived article and publish `article.published`. Raises
    ArticleStateError (already published), NotFoundError, PreconditionFailedError."""
    locked = _status_change(
        tenant, actor, article,
        allowed_from=(ArticleStatus.DRAFT, ArticleStatus.ARCHIVED),
        to=ArticleStatus.PUBLISHED,
        expected_version=expected_version,
    )  # fmt: skip
    event_bus.publish(
        ArticlePublished(id=str(locked.public_id), slug=locked.slug), tenant=tenant, actor=actor
    )
    return locked


@transaction.atomic
def article_archive(
    *, tenant: Tenant, actor: Actor, article: Article, expected_version: ExpectedVersion = None
) -> Article:
    """Archive a published article (off the help center, kept). Raises ArticleStateError,
    NotFoundError, PreconditionFailedError."""
    return _status_change(
        tenant, actor, article,
        allowed_from=(ArticleStatus.PUBLISHED,),
        to=ArticleStatus.ARCHIVED,
        expected_version=expected_version,
    )  # fmt: skip


@transaction.atomic
def article_delete(
    *, tenant: Tenant, actor: Actor, article: Article, expected_version: ExpectedVersion = None
) -> None:
    """Delete an article with its revisions and old slugs. Raises NotFoundError,
    PreconditionFailedError."""
    locked = article_get_for_update(tenant=tenant, article_id=article.pk)
    version_check(locked, expected_version)
    audit(
        tenant,
        actor,
        "kb_article.deleted",
        "kb_article",
        locked,
        locked.title,
        before=_audited(locked),
    )
    ArticleRevision.objects.filter(tenant=tenant, article=locked).delete()
    ArticleSlug.objects.filter(tenant=tenant, article=locked).delete()
    locked.delete()


@transaction.atomic
def article_revision_restore(
    *, tenant: Tenant, actor: Actor, article: Article, revision: ArticleRevision
) -> Article:
    """Put a revision's content back into its article, as a draft. The content replaced is
    kept as a revision when the article was published. Its slug comes back unless another
    article holds it now; its category unless deleted since. Raises NotFoundError."""
    locked = article_get_for_update(tenant=tenant, article_id=article.pk)
    kept = ArticleRevision.objects.filter(tenant=tenant, article=locked, pk=revision.pk).first()
    if kept is None:
        raise NotFoundError()
    before = _audited(locked)
    if locked.status == ArticleStatus.PUBLISHED:
        _revision_keep(tenant, actor, locked)
    category = None
    if kept.category_public_id is not None:
        category = (
            Category.objects.select_for_update()
            .filter(tenant=tenant, public_id=kept.category_public_id)
            .first()
        )
    fields = ["title", "body", "body_html", "excerpt", "tags", "category", "status"]
    if kept.slug != locked.slug and not _slug_taken(tenant, kept.slug, locked.pk):
        _slug_move(tenant, locked, kept.slug)
        locked.slug = kept.slug
        fields.append("slug")
    locked.title, locked.body, locked.excerpt = kept.title, kept.body, kept.excerpt
    locked.tags, locked.category = list(kept.tags), category
    locked.body_html = markdown_render(kept.body)
    locked.status = ArticleStatus.DRAFT
    locked.version += 1
    _save(locked, update_fields=[*fields, "version", "updated_at"])
    audit(
        tenant,
        actor,
        "kb_article.restored",
        "kb_article",
        locked,
        locked.title,
        before=before,
        after={**_audited(locked), "revision": str(kept.public_id)},
    )
    return locked
