"""Members of a tenant (/api/v1/t/<slug>/members/)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
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
    permission_map = {
        "list": "member.read",
        "retrieve": "member.read",
        "partial_update": "member.manage",
        # Anyone may leave; removing others is checked by the service (member.manage).
        "destroy": "member.read",
        # Anyone may set their own; others' is checked by the service (member.availability).
        "availability": "member.read",
    }
    input_serializers = {
        "partial_update": s.MemberUpdateInputSerializer,
        "availability": s.MemberAvailabilityInputSerializer,
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

    @extend_schema(
        request=s.MemberAvailabilityInputSerializer, responses={200: s.MemberOutputSerializer}
    )
    @action(detail=True, methods=["post"])
    def availability(self, request, id=None):
        data = s.MemberAvailabilityInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.member_availability_set(
            tenant=request.tenant,
            actor=self.actor,
            membership=self.get_object(),
            is_available=data.validated_data["is_available"],
        )
        return Response(s.MemberOutputSerializer(membership).data)

    def destroy(self, request, id=None):
        services.member_remove(
            tenant=request.tenant, actor=self.actor, membership=self.get_object()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
