"""Invitations: a tenant's (/api/v1/t/<slug>/invitations/) and accepting one
(/api/v1/auth/invitations/accept/)."""

from dataclasses import replace

from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.throttling import AnonRateThrottle, UserRateThrottle
from tenants import selectors, services
from tenants.access import Actor
from tenants.api import serializers as s
from tenants.api.base import TenantViewSet, client_ip
from tenants.api.filters import InvitationFilter
from tenants.authentication import (
    ApiKeyAuthentication,
    ApiKeyPrincipal,
    BearerTokenAuthentication,
)
from tenants.exceptions import NotAUserError
from tenants.models import Invitation


class InvitationViewSet(mixins.ListModelMixin, TenantViewSet):
    selector = staticmethod(selectors.invitation_list)
    model = Invitation
    filterset_class = InvitationFilter
    serializer_class = s.InvitationOutputSerializer
    input_serializers = {"create": s.InvitationCreateInputSerializer}
    permission_map = {
        "list": "member.manage",
        "create": "member.manage",
        "destroy": "member.manage",
        "resend": "member.manage",
    }

    @extend_schema(
        request=s.InvitationCreateInputSerializer,
        responses={201: s.InvitationOutputSerializer},
    )
    def create(self, request):
        data = s.InvitationCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            tenant=request.tenant, actor=self.actor, **data.validated_data
        )
        return Response(
            s.InvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(responses={204: None})
    def destroy(self, request, id=None):
        services.invitation_revoke(
            tenant=request.tenant, actor=self.actor, invitation=self.get_object()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.InvitationOutputSerializer})
    @action(detail=True, methods=["post"])
    def resend(self, request, id=None):
        invitation = services.invitation_resend(
            tenant=request.tenant, actor=self.actor, invitation=self.get_object()
        )
        return Response(s.InvitationOutputSerializer(invitation).data)


_ACCEPT_REQUEST = PolymorphicProxySerializer(
    component_name="InvitationAccept",
    serializers=[s.InvitationAcceptInputSerializer, s.InvitationAcceptNewAccountInputSerializer],
    resource_type_field_name=None,
)
_ACCEPT_RESPONSE = PolymorphicProxySerializer(
    component_name="InvitationAcceptResult",
    serializers=[s.MemberOutputSerializer, s.TokenOutputSerializer],
    resource_type_field_name=None,
)


@method_decorator(sensitive_post_parameters("password", "token"), name="dispatch")
class InvitationAcceptApi(APIView):
    error_statuses = (409,)  # account_exists, already_member
    """Accept an invitation: with a bearer token, {token} joins the tenant as the logged-in
    user (201, the membership); anonymously, {token, password, name} creates the account
    and joins (201, a login: {token, expires_at})."""

    authentication_classes = [BearerTokenAuthentication, ApiKeyAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]

    @extend_schema(
        request=_ACCEPT_REQUEST,
        responses={201: _ACCEPT_RESPONSE},
        auth=[{"bearerAuth": []}, {}],
    )
    def post(self, request):
        if isinstance(request.user, ApiKeyPrincipal):
            raise NotAUserError("API keys cannot accept invitations.")
        actor = Actor(ip=client_ip(request), request_id=request.request_id)
        if request.user.is_authenticated:
            data = s.InvitationAcceptInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            membership = services.invitation_accept(
                actor=replace(actor, user=request.user), **data.validated_data
            )
            return Response(
                s.MemberOutputSerializer(membership).data, status=status.HTTP_201_CREATED
            )
        data = s.InvitationAcceptNewAccountInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _, instance, token = services.invitation_accept_new_account(
            actor=actor, **data.validated_data
        )
        return Response(
            s.TokenOutputSerializer({"token": token, "expires_at": instance.expiry}).data,
            status=status.HTTP_201_CREATED,
        )
