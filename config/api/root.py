"""The entry points a person or a client starts from: `/` and `/api/v1/` answer with links, and
any other path under `/api/` that matches nothing is a JSON 404 (also with DEBUG on, where
Django would answer with its HTML debug page)."""

from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

_LINKS = serializers.DictField(child=serializers.URLField())


def _links(request, names: dict[str, str]) -> dict[str, str]:
    return {key: request.build_absolute_uri(reverse(name)) for key, name in names.items()}


def view_name(view) -> str:
    """The browsable API's page title and breadcrumb: a view's `name`, else DRF's title of its
    class name without our Api suffix ("TicketMergeApi" reads "Ticket Merge")."""
    from rest_framework.views import get_view_name

    name = getattr(view, "name", None)
    if name is not None:
        return name
    title = type(view).__name__.removesuffix("Api") or type(view).__name__
    return get_view_name(type(title, (), {})())


class RootApi(APIView):
    name = "Tenantdesk"
    permission_classes = [AllowAny]

    @extend_schema(
        description="Where everything is: the API, its documentation, the admin, the probes.",
        responses=inline_serializer("Root", {"name": serializers.CharField(), "links": _LINKS}),
    )
    def get(self, request):
        links = _links(
            request,
            {
                "api": "api-root",
                "docs": "docs",
                "schema": "schema",
                "admin": "admin:index",
                "login": "rest_framework:login",
                "health": "healthz",
                "ready": "readyz",
            },
        )
        return Response({"name": "Tenantdesk", "links": links})


class ApiRootApi(APIView):
    name = "API v1"
    permission_classes = [AllowAny]

    @extend_schema(
        description="Version 1 of the API: sign in, then work inside a tenant at t/<slug>/.",
        responses=inline_serializer(
            "ApiRoot", {"version": serializers.CharField(), "links": _LINKS}
        ),
    )
    def get(self, request):
        links = _links(
            request,
            {
                "tenants": "tenant-list",
                "me": "auth-me",
                "register": "auth-register",
                "token": "auth-token",
                "logout": "auth-logout",
                "docs": "docs",
            },
        )
        return Response({"version": "v1", "links": links})


@csrf_exempt  # nothing here to protect; a CSRF 403 would hide the 404 (and be HTML)
def api_not_found(request, *args, **kwargs):
    """Any path under /api/ that no route matches."""
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
