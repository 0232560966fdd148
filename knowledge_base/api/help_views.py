"""The public help center (DESIGN.md §5, docs/knowledge-base.md): /api/v1/help/<tenant_slug>/…

No authentication (tenants.api.base.PublicTenantAPIView): an unknown or deactivated tenant is
a 404, every query runs under the tenant's row-level security, and only published articles
are ever read, by any route and any slug. Reads are cacheable (a strong ETag, Cache-Control,
304 for If-None-Match); the two writes (feedback, requests) have their own quotas per visitor
address besides the public one.
"""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from config.api.caching import public_cacheable
from config.api.client import client_ip
from config.api.pagination import CursorPagination
from config.api.throttling import address_group
from knowledge_base import selectors
from knowledge_base.api import help_serializers as s
from knowledge_base.services import help_center
from tenants.api.base import PublicTenantAPIView

FEEDBACK_THANKS = "Thank you for your feedback."
REQUEST_RECEIVED = "Thank you. We have received your request and will answer by email."
_POST = [*PublicTenantAPIView.http_method_names, "post"]


def _cacheable(request, response: Response):
    return public_cacheable(request, response, max_age=settings.HELP_CENTER_MAX_AGE)


class HelpCenterView(PublicTenantAPIView):
    """A help-center route: a tenant whose `help_center_enabled` setting is off has none."""

    def tenant_serves(self, tenant) -> bool:
        return bool(tenant.effective_settings["help_center_enabled"])


class HelpArticlePagination(CursorPagination):
    """Published articles, newest first."""

    ordering = ("-published_at", "-id")


class HelpCenterApi(HelpCenterView):
    """`help/<slug>/`: the help center's name and where its parts are."""

    @extend_schema(
        description="The help center: its name and the links to its parts.",
        responses={200: s.HelpCenterOutputSerializer},
    )
    def get(self, request):
        base = request.build_absolute_uri(request.path)
        data = {
            "name": request.tenant.name,
            "categories": f"{base}categories/",
            "articles": f"{base}articles/",
            "search": f"{base}search/",
            "requests": f"{base}requests/",
        }
        return _cacheable(request, Response(data))


class HelpCategoryListApi(HelpCenterView):
    """`help/<slug>/categories/`: every category in its order, with its published articles'
    count."""

    @extend_schema(responses={200: s.HelpCategoryListOutputSerializer})
    def get(self, request):
        categories = selectors.help_category_list(tenant=request.tenant)
        data = s.HelpCategoryListOutputSerializer({"results": categories}).data
        return _cacheable(request, Response(data))


class HelpArticleListApi(HelpCenterView):
    """`help/<slug>/articles/`: the published articles, newest first (`?category=<slug>`
    narrows to a category and its subcategories)."""

    pagination_class = HelpArticlePagination

    @extend_schema(
        parameters=[s.HelpArticleListInputSerializer],
        responses={200: s.HelpArticleSummarySerializer(many=True)},
    )
    def get(self, request):
        params = s.HelpArticleListInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        category = None
        if slug := params.validated_data.get("category"):
            category = selectors.help_category_get(tenant=request.tenant, slug=slug)
        articles = selectors.help_article_list(tenant=request.tenant, category=category)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(articles, request, view=self)
        response = paginator.get_paginated_response(
            s.HelpArticleSummarySerializer(page, many=True).data
        )
        return _cacheable(request, response)


class HelpArticleApi(HelpCenterView):
    """`help/<slug>/articles/<article-slug>/`: one published article. A former slug answers
    301 to the current one; a draft or archived article is a 404 like a missing one."""

    @extend_schema(
        responses={
            200: s.HelpArticleOutputSerializer,
            301: OpenApiResponse(description="A former slug: Location names the current one."),
        }
    )
    def get(self, request, article_slug: str):
        found = selectors.help_article_get(tenant=request.tenant, slug=article_slug)
        article = found.article
        if found.moved:
            location = reverse(
                "help-article",
                kwargs={"tenant_slug": request.tenant.slug, "article_slug": article.slug},
            )
            if query := request.META.get("QUERY_STRING"):
                location = f"{location}?{query}"
            response = Response(status=status.HTTP_301_MOVED_PERMANENTLY)
            response["Location"] = location
            # Not forever: the article may take this slug back one day.
            response["Cache-Control"] = f"public, max-age={settings.HELP_CENTER_MAX_AGE}"
            return response
        response = _cacheable(request, Response(s.HelpArticleOutputSerializer(article).data))
        if request.method == "GET" and response.status_code == status.HTTP_200_OK:
            help_center.article_view_record(tenant=request.tenant, article=article)
        return response


class HelpArticleFeedbackApi(HelpCenterView):
    """`help/<slug>/articles/<article-slug>/feedback/`: a visitor's helpful / not-helpful vote,
    counted once per client address per article per day (the vote stores nothing about the
    visitor)."""

    http_method_names = _POST
    throttle_scope = "help_feedback"

    @extend_schema(
        request=s.HelpFeedbackInputSerializer,
        responses={202: s.HelpAcceptedSerializer},
        description=(
            "Vote on a published article. The answer is the same whether the vote counted or "
            "the visitor had voted on this article today already. Throttled per visitor "
            "address (THROTTLE_HELP_FEEDBACK_RATE)."
        ),
    )
    def post(self, request, article_slug: str):
        data = s.HelpFeedbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        found = selectors.help_article_get(tenant=request.tenant, slug=article_slug)
        visitor = address_group(client_ip(request))
        help_center.article_feedback_record(
            tenant=request.tenant,
            article=found.article,
            helpful=data.validated_data["helpful"],
            visitor=visitor,
        )
        return Response({"detail": FEEDBACK_THANKS}, status=status.HTTP_202_ACCEPTED)


class HelpRequestApi(HelpCenterView):
    """`help/<slug>/requests/`: a visitor asks for help; a `web` ticket is opened for the
    customer with this email (found or created)."""

    http_method_names = _POST
    throttle_scope = "help_request"
    throttle_address_scope = "help_request_address"
    throttle_recipient_scope = "help_request_recipient"

    @extend_schema(
        request=s.HelpRequestInputSerializer,
        responses={202: s.HelpAcceptedSerializer},
        examples=[
            OpenApiExample(
                "A request",
                value={
                    "email": "sam@example.com",
                    "name": "Sam Lee",
                    "subject": "Cannot log in",
                    "description": "The reset link says it expired, though I used it at once.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Received",
                value={"detail": REQUEST_RECEIVED},
                response_only=True,
                status_codes=["202"],
            ),
        ],
        description=(
            "Submit a support request. The answer is the same whether the email belonged to "
            "a customer already or not, and for a request sent twice. Leave `website` empty "
            "(a honeypot: a request that fills it is answered alike and dropped). Throttled "
            "per visitor address (THROTTLE_HELP_REQUEST_RATE)."
        ),
    )
    def post(self, request):
        data = s.HelpRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if fields.pop("website"):
            return Response({"detail": REQUEST_RECEIVED}, status=status.HTTP_202_ACCEPTED)
        help_center.help_request_submit(tenant=request.tenant, actor=self.actor, **fields)
        return Response({"detail": REQUEST_RECEIVED}, status=status.HTTP_202_ACCEPTED)


class HelpSearchApi(HelpCenterView):
    """`help/<slug>/search/?q=`: the best 20 published articles for the words, with
    highlights."""

    @extend_schema(
        parameters=[s.HelpSearchInputSerializer],
        responses={200: s.HelpHitListOutputSerializer},
        description=(
            "Full-text search over the published articles in the tenant's search language: "
            "every word must match (the last one as a prefix, for type-ahead); title above "
            "excerpt and tags above body. Highlights are HTML-escaped text in which only "
            "<mark>…</mark> are tags."
        ),
    )
    def get(self, request):
        params = s.HelpSearchInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        hits = selectors.help_article_search(
            tenant=request.tenant, query=params.validated_data["q"]
        )
        return _cacheable(request, Response(s.HelpHitListOutputSerializer({"results": hits}).data))
