from rest_framework import serializers

from config.api.serializers import InputSerializer
from knowledge_base.models import (
    BODY_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TAGS_MAX,
    Article,
    ArticleRevision,
    ArticleStatus,
    Category,
)
from tenants.api.fields import TenantScopedRelatedField


def _categories(tenant_id):
    return Category.objects.filter(tenant_id=tenant_id)


def _category_field(**kwargs) -> TenantScopedRelatedField:
    return TenantScopedRelatedField(
        queryset_fn=_categories, required=False, allow_null=True, display=str, **kwargs
    )


def _ref(obj) -> str | None:
    return str(obj.public_id) if obj is not None else None


# --- Categories -------------------------------------------------------------------------------


class CategoryOutputSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    parent = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "parent",
            "position",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields

    def get_parent(self, category) -> str | None:
        return _ref(category.parent)


class CategoryCreateInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(
        max_length=100, required=False, help_text="Made from the name when left out."
    )
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    parent = _category_field(help_text="A top-level category (categories are one level deep).")
    position = serializers.IntegerField(
        required=False, min_value=-1_000_000, max_value=1_000_000, help_text="Lower comes first."
    )


class CategoryUpdateInputSerializer(CategoryCreateInputSerializer):
    name = serializers.CharField(max_length=100, required=False)


# --- Articles ---------------------------------------------------------------------------------


def _tags(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=TAG_MAX_LENGTH),
        max_length=TAGS_MAX,
        required=False,
        **kwargs,
    )


class ArticleOutputSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    category = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "slug",
            "body",
            "body_html",
            "excerpt",
            "tags",
            "category",
            "author",
            "status",
            "published_at",
            "view_count",
            "helpful_count",
            "not_helpful_count",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields

    def get_category(self, article) -> str | None:
        return _ref(article.category)

    def get_author(self, article) -> str | None:
        return _ref(article.author)


class ArticleCreateInputSerializer(InputSerializer):
    title = serializers.CharField(max_length=200)
    slug = serializers.SlugField(
        max_length=200,
        required=False,
        help_text="Made from the title when left out. A changed slug keeps redirecting.",
    )
    body = serializers.CharField(
        max_length=BODY_MAX_LENGTH,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Markdown (CommonMark); body_html is its sanitized rendering.",
    )
    excerpt = serializers.CharField(max_length=500, required=False, allow_blank=True)
    tags = _tags()
    category = _category_field()


class ArticleUpdateInputSerializer(ArticleCreateInputSerializer):
    title = serializers.CharField(max_length=200, required=False)


class ArticleRevisionOutputSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    category = serializers.UUIDField(
        source="category_public_id",
        read_only=True,
        allow_null=True,
        help_text="The category it had (it may have been deleted since).",
    )
    edited_by = serializers.SerializerMethodField()

    class Meta:
        model = ArticleRevision
        fields = [
            "id",
            "title",
            "slug",
            "body",
            "excerpt",
            "tags",
            "category",
            "article_version",
            "edited_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_edited_by(self, revision) -> str | None:
        return _ref(revision.edited_by)


class EmptyInputSerializer(InputSerializer):
    """No input; any key is a 400 (never silently ignored)."""


class ArticleSearchInputSerializer(serializers.Serializer):
    """`?q=` (words; the last one matches as a prefix) and an optional `?status=`."""

    q = serializers.CharField(
        max_length=200,
        required=False,
        default="",
        allow_blank=True,
        help_text="Words; every one must match, the last one as a prefix (type-ahead).",
    )
    status = serializers.ChoiceField(
        choices=ArticleStatus.choices, required=False, help_text="Only articles in this state."
    )


class ArticleHitOutputSerializer(serializers.Serializer):
    """One search match or suggestion: the article's reference fields, its rank and highlights
    (HTML-escaped text where only <mark>…</mark> are tags)."""

    id = serializers.UUIDField(source="article.public_id")
    title = serializers.CharField(source="article.title")
    slug = serializers.CharField(source="article.slug")
    excerpt = serializers.CharField(source="article.excerpt")
    status = serializers.CharField(source="article.status")
    category = serializers.SerializerMethodField()
    rank = serializers.FloatField(source="hit.rank")
    title_highlight = serializers.CharField(source="hit.title_highlight")
    highlight = serializers.CharField(source="hit.text_highlight")

    def get_category(self, pair) -> str | None:
        return _ref(pair.article.category)


class ArticleHitListOutputSerializer(serializers.Serializer):
    results = ArticleHitOutputSerializer(many=True)
