"""A tenant view that declares no capability, or a misspelt one, is a configuration error the
first request reports — never a silent 403 for everyone (or a silent allow)."""

import contextvars

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from tenants.api.base import TenantAPIView, TenantViewSet
from tenants.models import Membership, Role


class _MisspeltMap(TenantViewSet):
    selector = staticmethod(lambda tenant: Membership.objects.filter(tenant=tenant))
    model = Membership
    permission_map = {"list": "tiket.read"}

    def list(self, request):
        return Response([])


class _NoEntryForTheAction(TenantViewSet):
    selector = staticmethod(lambda tenant: Membership.objects.filter(tenant=tenant))
    model = Membership
    permission_map = {"retrieve": "ticket.read"}

    def list(self, request):
        return Response([])


class _MisspeltSingle(TenantAPIView):
    required_permission = "ticket.raed"

    def get(self, request):
        return Response({})


class _Undeclared(TenantAPIView):
    def get(self, request):
        return Response({})


@pytest.mark.parametrize(
    ("view", "key"),
    [
        pytest.param(_MisspeltMap.as_view({"get": "list"}), "list", id="misspelt-in-map"),
        pytest.param(_NoEntryForTheAction.as_view({"get": "list"}), "list", id="missing-action"),
        pytest.param(_MisspeltSingle.as_view(), "get", id="misspelt-required-permission"),
        pytest.param(_Undeclared.as_view(), "get", id="nothing-declared"),
    ],
)
def test_a_view_without_a_known_capability_fails_loudly(member, tenant, view, key):
    owner = member(Role.OWNER)
    request = APIRequestFactory().get(f"/api/v1/t/{tenant.slug}/x/")
    force_authenticate(request, user=owner.user)

    with pytest.raises(ImproperlyConfigured, match=f"declares no capability for '{key}'"):
        # In a copy of the context: without the request middleware, the log context the view
        # sets (user id) would leak into later tests.
        contextvars.copy_context().run(view, request, tenant_slug=tenant.slug)
