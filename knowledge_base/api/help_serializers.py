"""Shapes of the public help center: published content only, no internal fields (no status,
author, counters, Markdown source or database ids)."""

from rest_framework import serializers

from config.api.serializers import InputSerializer


class HelpCenterOutputSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The help center's (the tenant's) name.")
    categories = serializers.URLField()
    articles = serializers.URLField()
    search = serializers.URLField()
    requests = serializers.URLField()


class HelpCategoryRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class HelpCategoryOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    parent = serializers.SerializerMethodField(help_text="The parent category's slug.")
    position = serializers.IntegerField()
    article_count = serializers.IntegerField(
        source="published_count", help_text="Published articles in this category."
    )

    def get_parent(self, category) -> str | None:
        return category.parent.slug if category.parent is not None else None


class HelpCategoryListOutputSerializer(serializers.Serializer):
    results = HelpCategoryOutputSerializer(many=True)


class HelpArticleSummarySerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    excerpt = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    category = HelpCategoryRefSerializer(allow_null=True)
    published_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class HelpArticleOutputSerializer(HelpArticleSummarySerializer):
    body_html = serializers.CharField(
        help_text="The article rendered from Markdown and sanitized: safe to insert as HTML."
    )


class HelpArticleListInputSerializer(serializers.Serializer):
    category = serializers.SlugField(
        max_length=100,
        required=False,
        help_text="A category's slug: its articles and its subcategories' articles.",
    )


class HelpSearchInputSerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=200,
        required=False,
        default="",
        allow_blank=True,
        help_text="Words; every one must match, the last one as a prefix (type-ahead).",
    )


class HelpHitOutputSerializer(serializers.Serializer):
    """A search match: the article's reference fields, its rank and highlights (HTML-escaped
    text in which only <mark>…</mark> are tags)."""

    slug = serializers.CharField(source="article.slug")
    title = serializers.CharField(source="article.title")
    excerpt = serializers.CharField(source="article.excerpt")
    category = HelpCategoryRefSerializer(source="article.category", allow_null=True)
    rank = serializers.FloatField(source="hit.rank")
    title_highlight = serializers.CharField(source="hit.title_highlight")
    highlight = serializers.CharField(source="hit.text_highlight")


class HelpHitListOutputSerializer(serializers.Serializer):
    results = HelpHitOutputSerializer(many=True)


class StrictBooleanField(serializers.BooleanField):
    """true or false: a JSON boolean, or exactly `true` / `false` in a form (DRF's
    BooleanField also takes "yes", "on", 1, "1", …)."""

    default_error_messages = {"invalid": "Must be true or false."}
    _FORM = {"true": True, "false": False}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and data in self._FORM:
            return self._FORM[data]
        self.fail("invalid")


class HelpFeedbackInputSerializer(InputSerializer):
    helpful = StrictBooleanField(help_text="Was the article helpful? true or false.")


class HelpRequestInputSerializer(InputSerializer):
    email = serializers.EmailField(max_length=254, help_text="Where we answer.")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    subject = serializers.CharField(max_length=255)
    description = serializers.CharField(max_length=20_000, trim_whitespace=False)
    website = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Leave empty. A field people do not see in the form; robots fill it in.",
    )


class HelpAcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()
