"""The integrations API (DESIGN.md §5): webhook endpoints (admins), their secrets, pings and
delivery log; the CRM connection (admins), its write-only credentials and sync log."""

from django_filters.utils import translate_validation
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.etags import expected_version, with_etag
from config.api.pagination import CursorPagination
from integrations import selectors, services
from integrations.api import serializers as s
from integrations.api.filters import (
    CRM_SYNC_FILTER_PARAMETERS,
    DELIVERY_FILTER_PARAMETERS,
    CrmSyncFilter,
    WebhookDeliveryFilter,
)
from integrations.models import CrmConnection, CrmSync, WebhookDelivery, WebhookEndpoint
from tenants import idempotency
from tenants.api.base import TenantViewSet


def _secret_replayed(answer: int) -> OpenApiParameter:
    """The response header of an Idempotency-Key replay, which never holds the secret."""
    return OpenApiParameter(
        idempotency.REDACTED_HEADER,
        str,
        OpenApiParameter.HEADER,
        response=[answer],
        description="On an Idempotency-Key replay: `secret`, which the first response alone "
        "showed (the replay has `secret: null`; rotate again if it was lost).",
    )


class WebhookEndpointViewSet(mixins.ListModelMixin, TenantViewSet):
    """Receivers of the tenant's events (docs/webhooks.md): each gets every event of the types
    it chose, signed per Standard Webhooks with its own secret."""

    selector = staticmethod(selectors.webhook_endpoint_list)
    model = WebhookEndpoint
    filter_backends: list = []
    idempotency_redact = ("secret",)
    if_match = {"partial_update", "destroy"}
    etag = {"retrieve", "create", "partial_update", "rotate_secret"}
    serializer_class = s.WebhookEndpointOutputSerializer
    html_form = False  # `events` is a list: the browsable API edits JSON
    input_serializers = {
        "create": s.WebhookEndpointCreateInputSerializer,
        "partial_update": s.WebhookEndpointUpdateInputSerializer,
        "rotate_secret": s.EmptyInputSerializer,
        "ping": s.EmptyInputSerializer,
    }
    permission_map = dict.fromkeys(
        (
            "list",
            "retrieve",
            "create",
            "partial_update",
            "destroy",
            "rotate_secret",
            "ping",
            "deliveries",
        ),
        "webhook.manage",
    )

    def retrieve(self, request, id=None):
        endpoint = self.get_object()
        return with_etag(Response(s.WebhookEndpointOutputSerializer(endpoint).data), endpoint)

    @extend_schema(
        request=s.WebhookEndpointCreateInputSerializer,
        responses={201: s.WebhookEndpointSecretOutputSerializer},
        parameters=[_secret_replayed(201)],
        description="Add an endpoint. The answer carries its signing secret, once.",
        examples=[
            OpenApiExample(
                "An endpoint for ticket events",
                value={
                    "url": "https://hooks.example.com/tenantdesk",
                    "events": ["ticket.created", "ticket.updated", "comment.created"],
                    "description": "CRM bridge",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The new endpoint and its secret",
                value={
                    "id": "0f8e5a57-6c1e-4d6e-9a55-2b1f1b7f4c11",
                    "url": "https://hooks.example.com/tenantdesk",
                    "events": ["ticket.created", "ticket.updated", "comment.created"],
                    "description": "CRM bridge",
                    "active": True,
                    "include_internal": False,
                    "disabled_reason": "",
                    "disabled_at": None,
                    "last_success_at": None,
                    "last_failure_at": None,
                    "failing_since": None,
                    "secret_rotation_ends_at": None,
                    "version": 1,
                    "created_at": "2026-11-30T16:30:00.120000Z",
                    "updated_at": "2026-11-30T16:30:00.120000Z",
                    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def create(self, request):
        data = s.WebhookEndpointCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(
            tenant=request.tenant, actor=self.actor, **data.validated_data
        )
        response = Response(
            s.WebhookEndpointSecretOutputSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )
        response["Location"] = f"{request.path}{endpoint.public_id}/"
        return with_etag(response, endpoint)

    def partial_update(self, request, id=None):
        endpoint = self.get_object()
        data = s.WebhookEndpointUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(
            tenant=request.tenant,
            actor=self.actor,
            endpoint=endpoint,
            expected_version=expected_version(request),
            **data.validated_data,
        )
        return with_etag(Response(s.WebhookEndpointOutputSerializer(endpoint).data), endpoint)

    def destroy(self, request, id=None):
        services.webhook_endpoint_delete(
            tenant=request.tenant,
            actor=self.actor,
            endpoint=self.get_object(),
            expected_version=expected_version(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.EmptyInputSerializer,
        responses={200: s.WebhookEndpointSecretOutputSerializer},
        parameters=[_secret_replayed(200)],
        description="Replace the signing secret; the answer carries the new one, once. The "
        "previous secret keeps signing beside it for 24 hours (secret_rotation_ends_at).",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, id=None):
        endpoint = self.get_object()  # the 404 comes before any complaint about the body
        s.EmptyInputSerializer(data=request.data).is_valid(raise_exception=True)
        endpoint = services.webhook_secret_rotate(
            tenant=request.tenant, actor=self.actor, endpoint=endpoint
        )
        return with_etag(Response(s.WebhookEndpointSecretOutputSerializer(endpoint).data), endpoint)

    @extend_schema(
        request=s.EmptyInputSerializer,
        responses={202: s.WebhookDeliveryOutputSerializer},
        description='Send this endpoint a signed "webhook.ping" event through the delivery '
        "queue; the answer is its delivery (follow it under webhook-deliveries/<id>/).",
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, id=None):
        endpoint = self.get_object()
        s.EmptyInputSerializer(data=request.data).is_valid(raise_exception=True)
        delivery = services.webhook_ping(tenant=request.tenant, actor=self.actor, endpoint=endpoint)
        delivery = selectors.webhook_delivery_list(tenant=request.tenant).get(pk=delivery.pk)
        return Response(
            s.WebhookDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        responses=s.WebhookDeliveryOutputSerializer(many=True),
        parameters=DELIVERY_FILTER_PARAMETERS,
        description="This endpoint's deliveries, newest first, each with its attempts.",
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, id=None):
        endpoint = self.get_object()
        queryset = selectors.webhook_delivery_list_for_endpoint(
            tenant=request.tenant, endpoint=endpoint
        )
        # A detail route ignores list filters (TenantViewSet): this one applies its own.
        filters = WebhookDeliveryFilter(request.query_params, queryset=queryset, request=request)
        if not filters.is_valid():
            raise translate_validation(filters.errors)
        queryset = filters.qs
        paginator = CursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(
            s.WebhookDeliveryOutputSerializer(page, many=True).data
        )


class WebhookDeliveryViewSet(mixins.RetrieveModelMixin, TenantViewSet):
    """One webhook delivery with its attempts; a finished one can be sent again."""

    selector = staticmethod(selectors.webhook_delivery_list)
    model = WebhookDelivery
    filter_backends: list = []
    serializer_class = s.WebhookDeliveryOutputSerializer
    input_serializers = {"redeliver": s.EmptyInputSerializer}
    permission_map = {"retrieve": "webhook.manage", "redeliver": "webhook.manage"}

    @extend_schema(
        request=s.EmptyInputSerializer,
        responses={202: s.WebhookDeliveryOutputSerializer},
        description="Send a finished delivery (sent, failed, dead or suppressed) again: a "
        "fresh series of attempts, same body and webhook-id. 409 while it is pending or "
        "being sent.",
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, id=None):
        delivery = self.get_object()
        s.EmptyInputSerializer(data=request.data).is_valid(raise_exception=True)
        services.webhook_delivery_redeliver(
            tenant=request.tenant, actor=self.actor, delivery=delivery
        )
        delivery = selectors.webhook_delivery_list(tenant=request.tenant).get(pk=delivery.pk)
        return Response(
            s.WebhookDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )


# --- CRM --------------------------------------------------------------------------------------


class CrmConnectionViewSet(mixins.ListModelMixin, TenantViewSet):
    """The tenant's CRM connection (docs/crm.md): one per tenant; customers are upserted to
    HubSpot or Salesforce, erased ones deleted there. Credentials are write-only."""

    selector = staticmethod(selectors.crm_connection_list)
    model = CrmConnection
    filter_backends: list = []
    if_match = {"partial_update", "destroy"}
    etag = {"retrieve", "create", "partial_update"}
    serializer_class = s.CrmConnectionOutputSerializer
    input_serializers = {
        "create": s.CrmConnectionCreateInputSerializer,
        "partial_update": s.CrmConnectionUpdateInputSerializer,
    }
    permission_map = dict.fromkeys(
        ("list", "retrieve", "create", "partial_update", "destroy", "syncs"), "crm.manage"
    )

    def retrieve(self, request, id=None):
        connection = self.get_object()
        return with_etag(Response(s.CrmConnectionOutputSerializer(connection).data), connection)

    @extend_schema(
        request=s.CrmConnectionCreateInputSerializer,
        responses={201: s.CrmConnectionOutputSerializer},
        description="Connect the tenant's CRM. 409 (crm_connection_exists) when it has one.",
    )
    def create(self, request):
        data = s.CrmConnectionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = services.crm_connection_create(
            tenant=request.tenant, actor=self.actor, **data.validated_data
        )
        response = Response(
            s.CrmConnectionOutputSerializer(connection).data, status=status.HTTP_201_CREATED
        )
        response["Location"] = f"{request.path}{connection.public_id}/"
        return with_etag(response, connection)

    def partial_update(self, request, id=None):
        connection = self.get_object()
        data = s.CrmConnectionUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = services.crm_connection_update(
            tenant=request.tenant,
            actor=self.actor,
            connection=connection,
            expected_version=expected_version(request),
            **data.validated_data,
        )
        return with_etag(Response(s.CrmConnectionOutputSerializer(connection).data), connection)

    def destroy(self, request, id=None):
        services.crm_connection_delete(
            tenant=request.tenant,
            actor=self.actor,
            connection=self.get_object(),
            expected_version=expected_version(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses=s.CrmSyncOutputSerializer(many=True),
        parameters=CRM_SYNC_FILTER_PARAMETERS,
        description="The sync log: this connection's syncs, newest first.",
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def syncs(self, request, id=None):
        connection = self.get_object()
        queryset = selectors.crm_sync_list_for_connection(
            tenant=request.tenant, connection=connection
        )
        filters = CrmSyncFilter(request.query_params, queryset=queryset, request=request)
        if not filters.is_valid():
            raise translate_validation(filters.errors)
        paginator = CursorPagination()
        page = paginator.paginate_queryset(filters.qs, request, view=self)
        return paginator.get_paginated_response(s.CrmSyncOutputSerializer(page, many=True).data)


class CrmSyncViewSet(TenantViewSet):
    """One row of the CRM sync log; a finished one can be sent again."""

    selector = staticmethod(selectors.crm_sync_list)
    model = CrmSync
    filter_backends: list = []
    serializer_class = s.CrmSyncOutputSerializer
    input_serializers = {"redeliver": s.EmptyInputSerializer}
    permission_map = {"redeliver": "crm.manage"}

    @extend_schema(
        request=s.EmptyInputSerializer,
        responses={202: s.CrmSyncOutputSerializer},
        description="Send a finished sync (sent, failed, dead or suppressed) again, with the "
        "customer as it is now: a fresh series of attempts. 409 while it is pending or being "
        "sent.",
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, id=None):
        sync = self.get_object()
        s.EmptyInputSerializer(data=request.data).is_valid(raise_exception=True)
        sync = services.crm_sync_redeliver(tenant=request.tenant, actor=self.actor, sync=sync)
        return Response(s.CrmSyncOutputSerializer(sync).data, status=status.HTTP_202_ACCEPTED)
