"""Knowledge-base categories, articles, their old slugs and their revisions (tenant-owned)."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from tenants.db import CompositeTenantFK
from tenants.models import TenantModel, User, historical_reference

BODY_MAX_LENGTH = 100_000
TAG_MAX_LENGTH = 50
TAGS_MAX = 20


class ArticleStatus(models.TextChoices):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Category(TenantModel):
    """A shelf of articles, ordered by `position`; at most one level deep (a child's parent has
    no parent, checked by knowledge_base.services.categories)."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, db_index=False)  # UNIQUE (tenant, slug) serves it
    description = models.TextField(max_length=2000, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,  # kb_category_parent_idx (tenant, parent)
        related_name="children",
    )
    position = models.IntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name_plural = "categories"
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "slug"], name="kb_category_slug_uniq"),
            CompositeTenantFK(name="kb_category_parent_tfk", field="parent"),
        ]
        indexes = [
            models.Index(fields=["tenant", "position", "id"], name="kb_category_position_idx"),
            models.Index(fields=["tenant", "parent"], name="kb_category_parent_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Article(TenantModel):
    """A help article: Markdown `body` and the sanitized HTML rendered from it at save."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, db_index=False)  # UNIQUE (tenant, slug) serves it
    body = models.TextField(max_length=BODY_MAX_LENGTH, blank=True)
    body_html = models.TextField(blank=True)
    excerpt = models.CharField(max_length=500, blank=True)
    tags = ArrayField(models.CharField(max_length=TAG_MAX_LENGTH), default=list, blank=True)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,  # kb_article_category_idx (tenant, category)
        related_name="articles",
    )
    author = historical_reference(User)
    status = models.CharField(
        max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    not_helpful_count = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "slug"], name="kb_article_slug_uniq"),
            CompositeTenantFK(name="kb_article_category_tfk", field="category"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="kb_article_created_idx"),
            models.Index(fields=["tenant", "status"], name="kb_article_status_idx"),
            models.Index(fields=["tenant", "category"], name="kb_article_category_idx"),
            # The help center's list: published articles, newest first (cursor order).
            models.Index(
                fields=["tenant", "-published_at", "-id"],
                condition=models.Q(status="published"),
                name="kb_article_published_idx",
            ),
            # A category's published articles (the help center's counts and category pages).
            models.Index(
                fields=["tenant", "category"],
                condition=models.Q(status="published"),
                name="kb_article_pub_category_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ArticleSlug(TenantModel):
    """A slug an article had before: the help center redirects it to the article."""

    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,  # kb_articleslug_article_idx (tenant, article)
        related_name="old_slugs",
    )
    slug = models.SlugField(max_length=200, db_index=False)  # UNIQUE (tenant, slug) serves it
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "slug"], name="kb_articleslug_slug_uniq"),
            CompositeTenantFK(name="kb_articleslug_article_tfk", field="article"),
        ]
        indexes = [
            models.Index(fields=["tenant", "article"], name="kb_articleslug_article_idx"),
        ]

    def __str__(self) -> str:
        return self.slug


class ArticleRevision(TenantModel):
    """The content a published article had before one saved edit (who edited, and when)."""

    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,  # kb_revision_idx (tenant, article, -created_at)
        related_name="revisions",
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, db_index=False)  # UNIQUE (tenant, slug) serves it
    body = models.TextField(blank=True)
    excerpt = models.CharField(max_length=500, blank=True)
    tags = ArrayField(models.CharField(max_length=TAG_MAX_LENGTH), default=list, blank=True)
    # The category it had, by its public id: no foreign key, since the category may be deleted
    # later (a revision is history); a restore files the article there if it still exists.
    category_public_id = models.UUIDField(null=True, blank=True)
    article_version = models.PositiveIntegerField()
    edited_by = historical_reference(User)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            CompositeTenantFK(name="kb_revision_article_tfk", field="article"),
        ]
        indexes = [
            models.Index(fields=["tenant", "article", "-created_at"], name="kb_revision_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.article_version})"
