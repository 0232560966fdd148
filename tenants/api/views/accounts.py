"""Account routes (/api/v1/auth/…): registration, email verification, login tokens, logout,
passwords and the caller's profile."""

from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
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
from tenants import selectors, services
from tenants.api import serializers as s
from tenants.authentication import ApiKeyAuthentication, BearerTokenAuthentication
from tenants.exceptions import NotAUserError

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
        examples=[
            OpenApiExample(
                "Log in",
                value={"email": "alex@acme.example", "password": "correct horse battery"},
                request_only=True,
            ),
            OpenApiExample(
                "A token",
                description="Send it as `Authorization: Bearer <token>`; it lasts 7 days.",
                value={
                    "token": "4a14d060de66b5ea740784ae7bb8216a5d506cc9eb812554548007c9ffd8d6af",
                    "expires_at": "2026-12-07T16:26:50.801764Z",
                },
                response_only=True,
            ),
        ],
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
