from dataclasses import replace

from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.throttling import (
    AccountEmailThrottle,
    AnonRateThrottle,
    ApiKeyRateThrottle,
    LoginAccountThrottle,
    LoginAddressThrottle,
    PasswordCheckThrottle,
    ScopedAnonThrottle,
    UserRateThrottle,
    request_attempts_forgive,
)
from tenants import idempotency, selectors, services
from tenants.access import Actor
from tenants.api import serializers as s
from tenants.api.base import TenantAPIView, TenantViewSet, client_ip
from tenants.api.filters import AuditLogFilter, InvitationFilter, MemberFilter
from tenants.authentication import (
    ApiKeyAuthentication,
    ApiKeyPrincipal,
    BearerTokenAuthentication,
)
from tenants.exceptions import NotAUserError
from tenants.models import ApiKey, AuditLogEntry, Invitation, Membership

# --- Auth -------------------------------------------------------------------------------------
# Anonymous account requests that could reveal whether an address is registered (register,
# password reset) answer 202 with one body for every address; what differs is the email.

REGISTER_ACCEPTED = (
    "Check your inbox: we sent a message to this address. Follow its link to confirm the "
    "address before you log in."
)
RESET_ACCEPTED = "If an account uses this address, we sent it a link to choose a new password."


def _user_only(request, what: str) -> None:
    if request.user.pk is None:  # an API key is not a person
        raise NotAUserError(f"Only user credentials {what}.")


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class RegisterApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, ScopedAnonThrottle, AccountEmailThrottle]
    throttle_scope = "register"

    @extend_schema(request=s.RegisterInputSerializer, responses={202: s.AcceptedOutputSerializer})
    def post(self, request):
        data = s.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_register(**data.validated_data)
        return Response(
            s.AcceptedOutputSerializer({"detail": REGISTER_ACCEPTED}).data,
            status=status.HTTP_202_ACCEPTED,
        )


class EmailVerifyApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, ScopedAnonThrottle]
    throttle_scope = "register"

    @extend_schema(request=s.EmailVerifyInputSerializer, responses={204: None})
    def post(self, request):
        data = s.EmailVerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_email_verify(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class TokenApi(APIView):
    error_statuses = (403,)  # email_not_verified
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, LoginAddressThrottle, LoginAccountThrottle]

    @extend_schema(
        request=s.TokenInputSerializer,
        responses={200: s.TokenOutputSerializer},
        description=(
            "Log in with email and password. A wrong password, an unknown or an inactive "
            "account are one 400 `invalid_login`; a right password for an address that was "
            "never confirmed is a 403 `email_not_verified`. Failed attempts count against "
            "per-address and per-account quotas (429 beyond them, even for a right password)."
        ),
    )
    def post(self, request):
        data = s.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        instance, token = services.auth_login(**data.validated_data)
        request_attempts_forgive(request)  # a successful login does not use the quota up
        return Response(
            s.TokenOutputSerializer({"token": token, "expires_at": instance.expiry}).data
        )


class LogoutApi(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.auth_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(APIView):
    # Bearer tokens are what this revokes; an API key is told it is not a user (403).
    authentication_classes = [BearerTokenAuthentication, ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [UserRateThrottle, ApiKeyRateThrottle]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        _user_only(request, "have tokens to revoke")
        services.auth_token_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(sensitive_post_parameters("current_password", "new_password"), name="dispatch")
class PasswordChangeApi(APIView):
    authentication_classes = [BearerTokenAuthentication, ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [UserRateThrottle, ApiKeyRateThrottle, PasswordCheckThrottle]

    @extend_schema(
        request=s.PasswordChangeInputSerializer,
        responses={204: None},
        description=(
            "Change your password. Every other bearer token of yours is revoked; the one "
            "making this call stays valid. Wrong current passwords count against the "
            "account's login quota."
        ),
    )
    def post(self, request):
        _user_only(request, "have a password")
        data = s.PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_password_change(
            user=request.user, keep_token=request.auth, **data.validated_data
        )
        request_attempts_forgive(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, ScopedAnonThrottle, AccountEmailThrottle]
    throttle_scope = "password_reset"

    @extend_schema(
        request=s.PasswordResetInputSerializer, responses={202: s.AcceptedOutputSerializer}
    )
    def post(self, request):
        data = s.PasswordResetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_request(**data.validated_data)
        return Response(
            s.AcceptedOutputSerializer({"detail": RESET_ACCEPTED}).data,
            status=status.HTTP_202_ACCEPTED,
        )


@method_decorator(sensitive_post_parameters("new_password"), name="dispatch")
class PasswordResetConfirmApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, ScopedAnonThrottle]
    throttle_scope = "password_reset"

    @extend_schema(
        request=s.PasswordResetConfirmInputSerializer,
        responses={204: None},
        description=(
            "Set a new password with the token of a reset link (it also confirms the email "
            "address). Every bearer token of the account is revoked."
        ),
    )
    def post(self, request):
        data = s.PasswordResetConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_confirm(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [UserRateThrottle]

    @extend_schema(responses={200: s.MeOutputSerializer})
    def get(self, request):
        _user_only(request, "have a profile")
        user = request.user
        memberships = selectors.membership_list_for_user(user=user)
        return Response(
            s.MeOutputSerializer(
                {
                    "public_id": user.public_id,
                    "email": user.email,
                    "name": user.name,
                    "memberships": memberships,
                }
            ).data
        )


# --- Tenants ----------------------------------------------------------------------------------


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


# --- Members ----------------------------------------------------------------------------------


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


# --- Invitations ------------------------------------------------------------------------------


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


# --- API keys ---------------------------------------------------------------------------------


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


# --- Audit log --------------------------------------------------------------------------------


class AuditLogViewSet(mixins.ListModelMixin, TenantViewSet):
    selector = staticmethod(selectors.audit_log_list)
    model = AuditLogEntry
    filterset_class = AuditLogFilter
    serializer_class = s.AuditLogOutputSerializer
    permission_map = {"list": "audit.read"}
