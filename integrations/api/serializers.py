import json

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import InputSerializer
from integrations.models import (
    CrmConnection,
    CrmProvider,
    CrmSync,
    DisabledReason,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from integrations.services import (
    ACCESS_TOKEN_MAX_LENGTH,
    CRM_BASE_URL_MAX_LENGTH,
    CRM_FIELD_NAME_MAX_LENGTH,
    EVENT_TYPE_MAX_LENGTH,
    HUBSPOT_BASE_URL,
    URL_MAX_LENGTH,
)
from tenants.models.outbox import OutboxStatus

_EVENT_TYPES_HELP = (
    'Event type names (GET event-types/ lists them), or ["*"] for every event, including '
    "types added later."
)


def _event_types(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=EVENT_TYPE_MAX_LENGTH),
        min_length=1,
        max_length=100,
        help_text=_EVENT_TYPES_HELP,
        **kwargs,
    )


def _url(**kwargs) -> serializers.URLField:
    return serializers.URLField(
        max_length=URL_MAX_LENGTH,
        help_text="Where events are POSTed: https, a public address (checked when saved and "
        "again on every connection).",
        **kwargs,
    )


class WebhookEndpointOutputSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    disabled_reason = serializers.ChoiceField(
        choices=DisabledReason.choices,
        read_only=True,
        help_text='Why deliveries stopped by themselves: "gone" (the receiver answered 410) or '
        '"failing" (failures for too long); "" when active or switched off by a person.',
    )
    secret_rotation_ends_at = serializers.SerializerMethodField(
        help_text="During a secret rotation: until when the previous secret signs too."
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "description", "active", "include_internal",
                  "disabled_reason", "disabled_at", "last_success_at", "last_failure_at",
                  "failing_since", "secret_rotation_ends_at", "version", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_secret_rotation_ends_at(self, endpoint):
        expires = endpoint.previous_secret_expires_at
        if expires is None or expires <= timezone.now():
            return None
        return serializers.DateTimeField().to_representation(expires)


class WebhookEndpointSecretOutputSerializer(WebhookEndpointOutputSerializer):
    secret = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The signing secret (whsec_…), in this response only: store it now. Never "
        "kept for replays: an Idempotency-Key replay of this response has null here and the "
        "header `Idempotent-Redacted: secret`.",
    )

    class Meta(WebhookEndpointOutputSerializer.Meta):
        fields = [*WebhookEndpointOutputSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointCreateInputSerializer(InputSerializer):
    url = _url()
    events = _event_types()
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    active = serializers.BooleanField(required=False, default=True, initial=True)
    include_internal = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also receive internal events (internal notes): off by default.",
    )


class WebhookEndpointUpdateInputSerializer(InputSerializer):
    url = _url(required=False)
    events = _event_types(required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    active = serializers.BooleanField(
        required=False,
        help_text="true again clears disabled_reason, disabled_at and failing_since.",
    )
    include_internal = serializers.BooleanField(required=False)


class EmptyInputSerializer(InputSerializer):
    """No input; any key is a 400 (never silently ignored)."""


class WebhookAttemptOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "attempted_at", "status_code", "latency_ms", "error",
                  "response_body"]  # fmt: skip
        read_only_fields = fields


class WebhookDeliveryOutputSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    endpoint = serializers.UUIDField(source="endpoint.public_id", read_only=True)
    ticket = serializers.IntegerField(
        source="ticket_number",
        read_only=True,
        allow_null=True,
        help_text="The ticket the event is about, if any.",
    )
    status = serializers.ChoiceField(choices=OutboxStatus.choices, read_only=True)
    attempts = serializers.IntegerField(read_only=True, help_text="Attempts made so far.")
    payload = serializers.SerializerMethodField(
        help_text="The JSON body sent, {type, timestamp, data}."
    )
    attempt_log = WebhookAttemptOutputSerializer(
        many=True, read_only=True, help_text="Every attempt, first to last."
    )

    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint", "event_id", "event_type", "ticket", "status", "attempts",
                  "next_attempt_at", "last_status_code", "last_error", "created_at",
                  "finished_at", "payload", "attempt_log"]  # fmt: skip
        read_only_fields = fields

    def get_payload(self, delivery) -> dict:
        return json.loads(delivery.body)


# --- CRM --------------------------------------------------------------------------------------


class CrmConnectionOutputSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    has_credentials = serializers.SerializerMethodField(
        help_text="Whether an access token is stored (it is never shown)."
    )
    external_id_field = serializers.SerializerMethodField(
        help_text="Salesforce: the Contact's External ID field holding the customer's id; "
        "null for HubSpot."
    )
    last_sync_status = serializers.CharField(
        read_only=True,
        help_text='The last sync\'s outcome: "ok", "retrying" or "failed"; "" before the first.',
    )

    class Meta:
        model = CrmConnection
        fields = ["id", "provider", "base_url", "has_credentials", "enabled", "tier_property",
                  "external_id_field", "last_sync_status", "last_sync_at", "last_sync_error",
                  "version", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields

    def get_has_credentials(self, connection) -> bool:
        try:
            return bool(json.loads(connection.credentials).get("access_token"))
        except (ValueError, AttributeError):
            return False

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_external_id_field(self, connection):
        if connection.provider != CrmProvider.SALESFORCE:
            return None
        return connection.external_id_field


class CrmCredentialsInputSerializer(InputSerializer):
    access_token = serializers.CharField(
        max_length=ACCESS_TOKEN_MAX_LENGTH,
        trim_whitespace=False,
        help_text="HubSpot: a private app's access token (scopes crm.objects.contacts.read and "
        ".write). Salesforce: an OAuth access token for the org.",
    )


def _credentials(**kwargs) -> CrmCredentialsInputSerializer:
    return CrmCredentialsInputSerializer(
        write_only=True,
        help_text="Write-only: stored encrypted, never shown again (GET has has_credentials). "
        "On PATCH, replaces the stored ones.",
        **kwargs,
    )


def _field_name(help_text: str, **kwargs) -> serializers.CharField:
    return serializers.CharField(
        max_length=CRM_FIELD_NAME_MAX_LENGTH, required=False, help_text=help_text, **kwargs
    )


_BASE_URL_HELP = (
    "The CRM's API origin (https, a public address, no path). HubSpot: defaults to "
    f"{HUBSPOT_BASE_URL}. Salesforce: required, the org's instance URL "
    "(https://yourorg.my.salesforce.com)."
)
_TIER_HELP = (
    "The contact property (HubSpot) or Contact field (Salesforce) holding the customer's tier, "
    'read back after each upsert; "" (default): the tier is not read from the CRM.'
)
_EXTERNAL_ID_HELP = (
    "Salesforce only: the Contact's External ID field that holds the customer's id "
    "(default Tenantdesk_Id__c)."
)


class CrmConnectionCreateInputSerializer(InputSerializer):
    provider = serializers.ChoiceField(choices=CrmProvider.choices)
    base_url = serializers.URLField(
        max_length=CRM_BASE_URL_MAX_LENGTH, required=False, help_text=_BASE_URL_HELP
    )
    credentials = _credentials()
    enabled = serializers.BooleanField(required=False, default=True, initial=True)
    tier_property = _field_name(_TIER_HELP, allow_blank=True)
    external_id_field = _field_name(_EXTERNAL_ID_HELP)


class CrmConnectionUpdateInputSerializer(InputSerializer):
    base_url = serializers.URLField(
        max_length=CRM_BASE_URL_MAX_LENGTH, required=False, help_text=_BASE_URL_HELP
    )
    credentials = _credentials(required=False)
    enabled = serializers.BooleanField(required=False)
    tier_property = _field_name(_TIER_HELP, allow_blank=True)
    external_id_field = _field_name(_EXTERNAL_ID_HELP)


class CrmSyncOutputSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    customer = serializers.UUIDField(
        source="customer_public_id",
        read_only=True,
        help_text="The customer's id (an erased customer's too).",
    )
    crm_id = serializers.CharField(
        read_only=True, help_text="The contact's id in the CRM, when the sync knew it."
    )
    status = serializers.ChoiceField(choices=OutboxStatus.choices, read_only=True)
    attempts = serializers.IntegerField(read_only=True, help_text="Attempts made so far.")

    class Meta:
        model = CrmSync
        fields = ["id", "event_type", "action", "customer", "crm_id", "status", "attempts",
                  "last_error", "last_status_code", "next_attempt_at", "finished_at",
                  "created_at"]  # fmt: skip
        read_only_fields = fields
