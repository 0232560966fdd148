"""Inbound email routes (/api/v1/t/<slug>/inbound-email/…): the raw-MIME endpoint (public,
authenticated by the tenant's inbound secret) and the secret's management (admins)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from config.api.parsers import RawEmailParser
from config.api.serializers import InputSerializer
from notifications.inbound import selectors
from notifications.inbound.services import (
    inbound_email_receive,
    inbound_secret_check,
    inbound_secret_rotate,
)
from tenants.api.base import PublicTenantAPIView, TenantAPIView

AUTH_SCHEME = "Inbound-Secret"


class InboundResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(
        choices=["created", "replied", "ignored", "duplicate"],
        help_text="created: a ticket was opened (a follow-up one when follow_up_of is set); "
        "replied: the message became the customer's comment on `ticket`; ignored: an "
        "automatic reply, a bounce or spam (see `reason`); duplicate: this Message-ID was "
        "received before (`ticket` is what it became then).",
    )
    ticket = serializers.IntegerField(allow_null=True)
    follow_up_of = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(
        allow_blank=True,
        help_text="Why a message was ignored (auto_submitted, precedence_bulk, auto_reply, "
        "null_sender, bounce, report, spam), or why a reply opened a ticket of its own "
        "(not_the_requester).",
    )
    attachments_kept = serializers.IntegerField()
    attachments_refused = serializers.IntegerField()


class InboundEmailApi(PublicTenantAPIView):
    http_method_names = [*PublicTenantAPIView.http_method_names, "post"]
    parser_classes = [RawEmailParser]
    error_statuses = (401, 413, 415)

    def get_authenticate_header(self, request) -> str:
        # What a 401 names in WWW-Authenticate (DRF answers 403 without one).
        return f'{AUTH_SCHEME} realm="inbound-email"'

    @extend_schema(
        description=(
            "Receive one email: the raw message (RFC 5322 bytes, `Content-Type: "
            "message/rfc822`), as a mail server received it. Authenticated by the tenant's "
            "inbound secret: `Authorization: Inbound-Secret <secret>` (see "
            "`inbound-email/secret/`); the tenant is the one in the URL, whatever the message "
            "says. Answers 202 with what became of the message: a new ticket, a reply on the "
            "ticket it answers, a follow-up of a closed one, or nothing (an automatic reply, a "
            "bounce, a message received before). A message that is not an email or has no "
            "usable From address is a 400 and nothing is stored."
        ),
        request={"message/rfc822": OpenApiTypes.BINARY},
        responses={202: InboundResultSerializer},
        auth=[],
    )
    def post(self, request):
        scheme, _, secret = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != AUTH_SCHEME.lower() or not secret.strip():
            raise exceptions.NotAuthenticated(
                f"Send the tenant's inbound secret: Authorization: {AUTH_SCHEME} <secret>."
            )
        if not inbound_secret_check(tenant=request.tenant, secret=secret.strip()):
            raise exceptions.AuthenticationFailed("The inbound secret is not valid.")
        raw = request.data if isinstance(request.data, bytes) else b""
        result = inbound_email_receive(
            tenant=request.tenant, raw=raw, source="raw", actor=self.actor
        )
        return Response(InboundResultSerializer(result).data, status=status.HTTP_202_ACCEPTED)


class InboundSecretOutputSerializer(serializers.Serializer):
    configured = serializers.BooleanField(help_text="Whether the tenant has an inbound secret.")
    created_at = serializers.DateTimeField(
        allow_null=True, help_text="When the current secret was made."
    )
    address = serializers.CharField(help_text="The address the tenant's customers write to.")
    endpoint = serializers.CharField(help_text="The raw-MIME endpoint the secret opens.")


class InboundSecretCreatedOutputSerializer(InboundSecretOutputSerializer):
    secret = serializers.CharField(
        help_text="The new secret, shown this once (only its SHA-256 is kept)."
    )


class InboundSecretCreateInputSerializer(InputSerializer):
    """Rotating takes no input; any key is a 400 (never silently ignored)."""


def _described(tenant, request, row) -> dict:
    return {
        "configured": row is not None,
        "created_at": row.created_at if row is not None else None,
        "address": selectors.inbound_address(tenant=tenant),
        "endpoint": request.build_absolute_uri(selectors.inbound_endpoint_path(tenant=tenant)),
    }


class InboundSecretApi(TenantAPIView):
    required_permission = "inbound.manage"
    # The secret is shown once: Idempotency-Key records keep it as null.
    idempotency_redact = ("secret",)

    @extend_schema(
        description="Whether the tenant has an inbound secret (never the secret itself), the "
        "address its customers write to and the raw-MIME endpoint. Admin+.",
        responses={200: InboundSecretOutputSerializer},
    )
    def get(self, request):
        row = selectors.inbound_secret_get(tenant=request.tenant)
        return Response(
            InboundSecretOutputSerializer(_described(request.tenant, request, row)).data
        )

    @extend_schema(
        description="Create the tenant's inbound secret, or replace it: the previous one stops "
        "working at once. The secret is in this response only. Admin+; audit-logged.",
        request=InboundSecretCreateInputSerializer,
        responses={201: OpenApiResponse(InboundSecretCreatedOutputSerializer)},
    )
    def post(self, request):
        InboundSecretCreateInputSerializer(data=request.data).is_valid(raise_exception=True)
        row, secret = inbound_secret_rotate(tenant=request.tenant, actor=self.actor)
        body = {**_described(request.tenant, request, row), "secret": secret}
        return Response(
            InboundSecretCreatedOutputSerializer(body).data, status=status.HTTP_201_CREATED
        )
