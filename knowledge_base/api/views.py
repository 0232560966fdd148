"""The knowledge-base API (DESIGN.md §5): categories and articles (drafts included), their
publishing, archiving and revisions. Reads: viewers; drafts and edits: agents; publishing,
archiving, restoring and categories: supervisors; deleting articles: admins."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.etags import expected_version, with_etag
from config.api.pagination import CursorPagination
from config.errors import NotFoundError
from knowledge_base import selectors, services
from knowledge_base.api import serializers as s
from knowledge_base.models import Article, ArticleRevision, Category
from tenants.api.base import TenantAPIView, TenantViewSet
from tickets import selectors as ticket_selectors

UUID_RE = "[0-9a-fA-F-]{36}"


class PositionCursorPagination(CursorPagination):
    """Categories in their order."""

    ordering = ("position", "id")


class CategoryViewSet(mixins.ListModelMixin, TenantViewSet):
    """Knowledge-base categories, ordered by `position`, at most one level deep. A category
    that still holds articles or categories cannot be deleted (409)."""

    selector = staticmethod(selectors.category_list)
    model = Category
    filter_backends: list = []
    pagination_class = PositionCursorPagination
    if_match = {"partial_update", "destroy"}
    etag = {"retrieve", "create", "partial_update"}
    serializer_class = s.CategoryOutputSerializer
    input_serializers = {
        "create": s.CategoryCreateInputSerializer,
        "partial_update": s.CategoryUpdateInputSerializer,
    }
    permission_map = {
        "list": "kb.read",
        "retrieve": "kb.read",
        "create": "kb.publish",
        "partial_update": "kb.publish",
        "destroy": "kb.publish",
    }

    def retrieve(self, request, id=None):
        category = self.get_object()
        return with_etag(Response(s.CategoryOutputSerializer(category).data), category)

    def create(self, request):
        data = s.CategoryCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.category_create(
            tenant=request.tenant, actor=self.actor, **data.validated_data
        )
        response = Response(
            s.CategoryOutputSerializer(category).data, status=status.HTTP_201_CREATED
        )
        response["Location"] = f"{request.path}{category.public_id}/"
        return with_etag(response, category)

    def partial_update(self, request, id=None):
        category = self.get_object()
        data = s.CategoryUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.category_update(
            tenant=request.tenant,
            actor=self.actor,
            category=category,
            expected_version=expected_version(request),
            **data.validated_data,
        )
        return with_etag(Response(s.CategoryOutputSerializer(category).data), category)

    def destroy(self, request, id=None):
        services.category_delete(
            tenant=request.tenant,
            actor=self.actor,
            category=self.get_object(),
            expected_version=expected_version(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ArticleViewSet(mixins.ListModelMixin, TenantViewSet):
    """Knowledge-base articles of every status (draft, published, archived). Editing a
    published article keeps it published and its previous content as a revision; a changed
    slug keeps redirecting (docs/knowledge-base.md)."""

    selector = staticmethod(selectors.article_list)
    model = Article
    filter_backends: list = []
    if_match = {"partial_update", "destroy", "publish", "archive"}
    etag = {"retrieve", "create", "partial_update", "publish", "archive", "restore"}
    serializer_class = s.ArticleOutputSerializer
    html_form = False  # `tags` is a list: the browsable API edits JSON
    input_serializers = {
        "create": s.ArticleCreateInputSerializer,
        "partial_update": s.ArticleUpdateInputSerializer,
        "publish": s.EmptyInputSerializer,
        "archive": s.EmptyInputSerializer,
        "restore": s.EmptyInputSerializer,
    }
    permission_map = {
        "list": "kb.read",
        "retrieve": "kb.read",
        "revisions": "kb.read",
        "revision": "kb.read",
        "create": "kb.write",
        "partial_update": "kb.write",
        "publish": "kb.publish",
        "archive": "kb.publish",
        "restore": "kb.publish",
        "destroy": "kb.delete",
    }

    def retrieve(self, request, id=None):
        article = self.get_object()
        return with_etag(Response(s.ArticleOutputSerializer(article).data), article)

    @extend_schema(
        examples=[
            OpenApiExample(
                "A draft",
                description="Markdown body; the slug comes from the title unless given.",
                value={
                    "title": "Reset your password",
                    "body": "1. Open **Sign in**.\n2. Choose *Forgot password*.",
                    "excerpt": "Get a new password by email.",
                    "tags": ["login"],
                    "category": "2b0c8f0e-1c55-4c39-a0a4-8f3b2f1d6b9e",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The new draft",
                value={
                    "id": "630f0f72-bec6-41de-98b9-47daa87741f8",
                    "title": "Reset your password",
                    "slug": "reset-your-password",
                    "body": "1. Open **Sign in**.\n2. Choose *Forgot password*.",
                    "body_html": "<ol>\n<li>Open <strong>Sign in</strong>.</li>\n"
                    "<li>Choose <em>Forgot password</em>.</li>\n</ol>\n",
                    "excerpt": "Get a new password by email.",
                    "tags": ["login"],
                    "category": "2b0c8f0e-1c55-4c39-a0a4-8f3b2f1d6b9e",
                    "author": "316df553-5166-438b-9ad0-8a78d91e1b11",
                    "status": "draft",
                    "published_at": None,
                    "view_count": 0,
                    "helpful_count": 0,
                    "not_helpful_count": 0,
                    "created_at": "2026-11-30T16:27:24.843097Z",
                    "updated_at": "2026-11-30T16:27:24.843097Z",
                    "version": 1,
                },
                response_only=True,
                status_codes=["201"],
            ),
        ]
    )
    def create(self, request):
        data = s.ArticleCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article = services.article_create(
            tenant=request.tenant, actor=self.actor, **data.validated_data
        )
        response = Response(s.ArticleOutputSerializer(article).data, status=status.HTTP_201_CREATED)
        response["Location"] = f"{request.path}{article.public_id}/"
        return with_etag(response, article)

    def partial_update(self, request, id=None):
        article = self.get_object()
        data = s.ArticleUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article = services.article_update(
            tenant=request.tenant,
            actor=self.actor,
            article=article,
            expected_version=expected_version(request),
            **data.validated_data,
        )
        return with_etag(Response(s.ArticleOutputSerializer(article).data), article)

    def destroy(self, request, id=None):
        services.article_delete(
            tenant=request.tenant,
            actor=self.actor,
            article=self.get_object(),
            expected_version=expected_version(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _transition(self, request, service) -> Response:
        article = self.get_object()
        s.EmptyInputSerializer(data=request.data).is_valid(raise_exception=True)
        article = service(
            tenant=request.tenant,
            actor=self.actor,
            article=article,
            expected_version=expected_version(request),
        )
        return with_etag(Response(s.ArticleOutputSerializer(article).data), article)

    @extend_schema(
        request=s.EmptyInputSerializer,
        responses={200: s.ArticleOutputSerializer},
        description="Publish a draft or archived article (supervisors); publishes the "
        "`article.published` event. 409 when it is published already.",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, id=None):
        return self._transition(request, services.article_publish)

    @extend_schema(
        request=s.EmptyInputSerializer,
        responses={200: s.ArticleOutputSerializer},
        description="Archive a published article (supervisors): off the help center, kept. "
        "409 unless it is published.",
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, id=None):
        return self._transition(request, services.article_archive)

    @extend_schema(
        responses=s.ArticleRevisionOutputSerializer(many=True),
        description="The article's revisions, newest first: the content it had before each "
        "saved edit while it was published.",
    )
    @action(detail=True, methods=["get"])
    def revisions(self, request, id=None):
        article = self.get_object()
        queryset = selectors.article_revision_list(tenant=request.tenant, article=article)
        paginator = CursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(
            s.ArticleRevisionOutputSerializer(page, many=True).data
        )

    def _revision(self, request, revision_id) -> tuple[Article, ArticleRevision]:
        article = self.get_object()
        revision = (
            selectors.article_revision_list(tenant=request.tenant, article=article)
            .filter(public_id=revision_id)
            .first()
        )
        if revision is None:
            raise NotFoundError()
        return article, revision

    @extend_schema(responses={200: s.ArticleRevisionOutputSerializer})
    @action(detail=True, methods=["get"], url_path=f"revisions/(?P<revision_id>{UUID_RE})")
    def revision(self, request, id=None, revision_id=None):
        _, revision = self._revision(request, revision_id)
        return Response(s.ArticleRevisionOutputSerializer(revision).data)

    @extend_schema(
        request=s.EmptyInputSerializer,
        responses={200: s.ArticleOutputSerializer},
        description="Put this revision's content back into the article as a draft "
        "(supervisors); the content it replaces is kept as a revision when it was published.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=f"revisions/(?P<revision_id>{UUID_RE})/restore",
    )
    def restore(self, request, id=None, revision_id=None):
        article, revision = self._revision(request, revision_id)
        s.EmptyInputSerializer(data=request.data).is_valid(raise_exception=True)
        article = services.article_revision_restore(
            tenant=request.tenant, actor=self.actor, article=article, revision=revision
        )
        return with_etag(Response(s.ArticleOutputSerializer(article).data), article)


class ArticleSearchApi(TenantAPIView):
    """`kb/search/?q=`: the tenant's articles matching the words (drafts included, as every KB
    read for members; `?status=` narrows), best 20 first, with highlights."""

    required_permission = "kb.read"

    @extend_schema(
        description=(
            "Full-text search over the tenant's articles in its search language: every word "
            "must match (the last one as a prefix, for type-ahead); title above excerpt and "
            "tags above body. `title_highlight` and `highlight` are HTML-escaped text in which "
            "only <mark>…</mark> are tags. Viewer+."
        ),
        parameters=[s.ArticleSearchInputSerializer],
        responses={200: s.ArticleHitListOutputSerializer},
    )
    def get(self, request):
        params = s.ArticleSearchInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        hits = selectors.article_search(
            tenant=request.tenant,
            query=params.validated_data["q"],
            status=params.validated_data.get("status"),
        )
        return Response(s.ArticleHitListOutputSerializer({"results": hits}).data)


class TicketArticleSuggestionsApi(TenantAPIView):
    """`tickets/<number>/suggestions/`: the top 5 published articles for the ticket's subject
    and description (any of their words, ranked)."""

    required_permission = "ticket.read"

    @extend_schema(
        description=(
            "The top 5 published knowledge-base articles for the ticket's subject and "
            "description, best first, with highlights (as kb/search/). Viewer+."
        ),
        responses={200: s.ArticleHitListOutputSerializer},
    )
    def get(self, request, number: str):
        ticket = ticket_selectors.ticket_get(tenant=request.tenant, number=int(number))
        hits = selectors.article_suggestions(tenant=request.tenant, ticket=ticket)
        return Response(s.ArticleHitListOutputSerializer({"results": hits}).data)
