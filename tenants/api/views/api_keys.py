"""A tenant's API keys (/api/v1/t/<slug>/api-keys/)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from tenants import idempotency, selectors, services
from tenants.api import serializers as s
from tenants.api.base import TenantViewSet
from tenants.models import ApiKey


class ApiKeyViewSet(mixins.ListModelMixin, TenantViewSet):
    selector = staticmethod(selectors.api_key_list)
    model = ApiKey
    serializer_class = s.ApiKeyOutputSerializer
    input_serializers = {"create": s.ApiKeyCreateInputSerializer}
    # The raw key is shown once: Idempotency-Key records keep it as null.
    idempotency_redact = ("key",)
    permission_map = {
        "list": "api_key.manage",
        "create": "api_key.manage",
        "destroy": "api_key.manage",
    }

    @extend_schema(
        request=s.ApiKeyCreateInputSerializer,
        responses={201: s.ApiKeyCreatedOutputSerializer},
        parameters=[
            OpenApiParameter(
                idempotency.REDACTED_HEADER,
                str,
                OpenApiParameter.HEADER,
                response=[201],
                description=(
                    "On an Idempotency-Key replay: `key`, which the first response alone "
                    "showed (the replay has `key: null`)."
                ),
            )
        ],
    )
    def create(self, request):
        data = s.ApiKeyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        api_key, raw_key = services.api_key_create(
            tenant=request.tenant, actor=self.actor, **data.validated_data
        )
        api_key.key = raw_key
        return Response(
            s.ApiKeyCreatedOutputSerializer(api_key).data, status=status.HTTP_201_CREATED
        )

    def destroy(self, request, id=None):
        services.api_key_revoke(tenant=request.tenant, actor=self.actor, api_key=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
