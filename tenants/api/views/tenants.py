"""Tenant routes: the caller's tenants (/api/v1/t/) and one tenant (/api/v1/t/<slug>/)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants import selectors, services
from tenants.access import Actor
from tenants.api import serializers as s
from tenants.api.base import TenantAPIView, client_ip
from tenants.exceptions import NotAUserError


class TenantListCreateApi(APIView):
    name = "Tenants"
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.TenantListItemSerializer(many=True)})
    def get(self, request):
        if request.user.pk is None:
            api_key = request.user.api_key
            items = [_with_role(api_key.tenant, selectors.api_key_effective_role(api_key))]
        else:
            items = [
                _with_role(m.tenant, m.role)
                for m in selectors.membership_list_for_user(user=request.user)
            ]
        return Response(
            s.TenantListItemSerializer(items, many=True, context={"request": request}).data
        )

    @extend_schema(request=s.TenantCreateInputSerializer, responses={201: s.TenantOutputSerializer})
    def post(self, request):
        if request.user.pk is None:
            raise NotAUserError("API keys cannot create tenants.")
        data = s.TenantCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = Actor(user=request.user, ip=client_ip(request), request_id=request.request_id)
        tenant = services.tenant_create(
            actor=actor,
            slug=data.validated_data["slug"],
            name=data.validated_data["name"],
            timezone_name=data.validated_data["timezone"],
            settings=data.validated_data.get("settings"),
        )
        return Response(
            s.TenantOutputSerializer(tenant, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


def _with_role(tenant, role):
    tenant.role = role
    return tenant


class TenantDetailApi(TenantAPIView):
    name = "Tenant"
    permission_map = {"get": "tenant.read", "patch": "tenant.update", "delete": "tenant.delete"}

    @extend_schema(responses={200: s.TenantOutputSerializer})
    def get(self, request):
        return Response(s.TenantOutputSerializer(request.tenant, context={"request": request}).data)

    @extend_schema(request=s.TenantUpdateInputSerializer, responses={200: s.TenantOutputSerializer})
    def patch(self, request):
        data = s.TenantUpdateInputSerializer(data=request.data, context={"tenant": request.tenant})
        data.is_valid(raise_exception=True)
        tenant = services.tenant_update(
            tenant=request.tenant,
            actor=self.actor,
            name=data.validated_data.get("name"),
            timezone_name=data.validated_data.get("timezone"),
            settings=data.validated_data.get("settings"),
        )
        return Response(s.TenantOutputSerializer(tenant, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request):
        services.tenant_delete(tenant=request.tenant, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)
