import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from config.api.filters import StrictIsoDateTimeFilter
from integrations.models import CrmAction, CrmSync, WebhookDelivery
from tenants.models.outbox import OutboxStatus


class WebhookDeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OutboxStatus.choices)
    event_type = django_filters.CharFilter(max_length=64)
    created_after = StrictIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = StrictIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event_type", "created_after", "created_before"]


# The deliveries route is a detail route (webhooks/<id>/deliveries/): its filters are
# documented by hand, as the schema generator reads filters off list routes only.
DELIVERY_FILTER_PARAMETERS = [
    OpenApiParameter("status", str, enum=OutboxStatus.values, description="Delivery status."),
    OpenApiParameter("event_type", str, description='An event type, e.g. "ticket.created".'),
    OpenApiParameter(
        "created_after", OpenApiTypes.DATETIME, description="Created at or after (ISO 8601)."
    ),
    OpenApiParameter(
        "created_before", OpenApiTypes.DATETIME, description="Created before (ISO 8601)."
    ),
]


class CrmSyncFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OutboxStatus.choices)
    action = django_filters.ChoiceFilter(choices=CrmAction.choices)
    customer = django_filters.UUIDFilter(field_name="customer_public_id")
    created_after = StrictIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = StrictIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = CrmSync
        fields = ["status", "action", "customer", "created_after", "created_before"]


# The sync log is a detail route too (crm-connections/<id>/syncs/): documented by hand.
CRM_SYNC_FILTER_PARAMETERS = [
    OpenApiParameter("status", str, enum=OutboxStatus.values, description="Sync status."),
    OpenApiParameter("action", str, enum=CrmAction.values, description="upsert or delete."),
    OpenApiParameter("customer", OpenApiTypes.UUID, description="A customer's id."),
    OpenApiParameter(
        "created_after", OpenApiTypes.DATETIME, description="Created at or after (ISO 8601)."
    ),
    OpenApiParameter(
        "created_before", OpenApiTypes.DATETIME, description="Created before (ISO 8601)."
    ),
]
