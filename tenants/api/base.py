"""The base of every tenant route (/api/v1/t/<tenant_slug>/…).

It owns, and subclasses cannot override:
- the transaction the request runs in (the tenant GUC is transaction-local);
- authentication first (401), then tenant + membership in one query (404 for an unknown
  tenant and for a non-member alike), then tenant_context(), then the role check (403);
- get_queryset(): always filtered by the request's tenant, narrowed by the view's selector;
- rendering inside the context (the browsable API evaluates querysets while rendering).
PostHog's TeamAndOrgViewSetMixin guards its subclasses the same way.
"""

from contextlib import ExitStack

from django.db import transaction
from rest_framework import exceptions, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from config.logging import user_id_var
from tenants.access import Actor
from tenants.authentication import ApiKeyPrincipal
from tenants.context import tenant_context
from tenants.permissions import HasTenantCapability
from tenants.selectors import tenant_access_resolve

_FINAL = ("dispatch", "initial", "get_queryset", "get_permissions", "get_authenticators")


def client_ip(request) -> str | None:
    """The caller's address: REMOTE_ADDR, or the right X-Forwarded-For hop behind proxies."""
    from rest_framework.settings import api_settings

    num_proxies = api_settings.NUM_PROXIES
    xff = request.META.get("HTTP_X_FORWARDED_FOR")
    if num_proxies and xff:
        hops = [hop.strip() for hop in xff.split(",")]
        return hops[-min(num_proxies, len(hops))]
    return request.META.get("REMOTE_ADDR") or None


def actor_from_request(request) -> Actor:
    """Build the audit actor of a DRF request (user token/session or tenant API key)."""
    access = getattr(request, "access", None)
    principal = request.user
    api_key = principal.api_key if isinstance(principal, ApiKeyPrincipal) else None
    return Actor(
        user=None if api_key is not None or not principal.is_authenticated else principal,
        api_key=api_key,
        role=access.role if access else None,
        ip=client_ip(request),
        request_id=getattr(request, "request_id", "") or "",
    )


class TenantViewMixin:
    permission_classes = [IsAuthenticated, HasTenantCapability]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__ == __name__:  # the bases defined here own these methods
            return
        overridden = [name for name in _FINAL if name in cls.__dict__]
        if overridden:
            raise TypeError(
                f"{cls.__name__} may not override {', '.join(overridden)}: tenant views "
                "narrow data through `selector` and declare capabilities instead"
            )

    def dispatch(self, request, *args, **kwargs):
        self.tenant_slug = kwargs.pop("tenant_slug")
        with transaction.atomic():
            with ExitStack() as stack:
                self._tenant_stack = stack
                response = super().dispatch(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response = response.render()
            if response.status_code >= 400:
                transaction.set_rollback(True)
        return response

    def initial(self, request, *args, **kwargs):
        user = request.user  # authenticates; bad credentials raise 401 here
        if not user or not user.is_authenticated:
            raise exceptions.NotAuthenticated()
        api_key = user.api_key if isinstance(user, ApiKeyPrincipal) else None
        access = tenant_access_resolve(user=user, api_key=api_key, slug=self.tenant_slug)
        if access is None:
            raise exceptions.NotFound()
        # The view's own transaction holds the settings: no savepoint needed.
        self._tenant_stack.enter_context(tenant_context(access.tenant, savepoint=False))
        request.access = access
        request.tenant = request._request.tenant = access.tenant
        user_id_var.set(str(user.public_id) if api_key is None else f"api-key:{api_key.prefix}")
        super().initial(request, *args, **kwargs)

    @property
    def actor(self) -> Actor:
        return actor_from_request(self.request)


class TenantAPIView(TenantViewMixin, APIView):
    """A single-operation tenant endpoint."""


class TenantViewSet(TenantViewMixin, viewsets.GenericViewSet):
    """A tenant resource. Set `selector` (tenant -> QuerySet) and `permission_map`."""

    selector = None
    model = None  # what `selector` returns rows of (read by the OpenAPI schema generator)
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    # action -> input serializer, so the browsable API and the schema show the input shape.
    input_serializers: dict = {}

    def get_serializer_class(self):
        return self.input_serializers.get(self.action, self.serializer_class)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Schema generation has no request tenant; it only needs the model.
            return self.model._base_manager.none()
        tenant = self.request.tenant
        # The explicit filter stays even if a selector forgets it (and is a literal predicate
        # on every query, which Citus routing will need).
        return type(self).selector(tenant=tenant).filter(tenant=tenant)
