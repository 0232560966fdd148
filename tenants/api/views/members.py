"""Members of a tenant (/api/v1/t/<slug>/members/)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from tenants import selectors, services
from tenants.api import serializers as s
from tenants.api.base import TenantViewSet
from tenants.api.filters import MemberFilter
from tenants.models import Membership


class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    selector = staticmethod(selectors.member_list)
    model = Membership
    filterset_class = MemberFilter
    serializer_class = s.MemberOutputSerializer
    # No create: people join by accepting an invitation (POST answers 405).
    input_serializers = {"partial_update": s.MemberUpdateInputSerializer}
    permission_map = {
        "list": "member.read",
        "retrieve": "member.read",
        "partial_update": "member.manage",
        # Anyone may leave; removing others is checked by the service (member.manage).
        "destroy": "member.read",
    }

    @extend_schema(request=s.MemberUpdateInputSerializer, responses={200: s.MemberOutputSerializer})
    def partial_update(self, request, id=None):
        membership = self.get_object()
        data = s.MemberUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.member_update(
            tenant=request.tenant, actor=self.actor, membership=membership, **data.validated_data
        )
        return Response(s.MemberOutputSerializer(membership).data)

    def destroy(self, request, id=None):
        services.member_remove(
            tenant=request.tenant, actor=self.actor, membership=self.get_object()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
