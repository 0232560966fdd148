"""`GET t/<slug>/event-types/`: the event registry, for webhook and notification settings."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from tenants import events
from tenants.api.base import TenantAPIView


class EventFieldSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    type = serializers.CharField(read_only=True, help_text="The JSON type of the value.")
    description = serializers.CharField(read_only=True)


class EventTypeSerializer(serializers.Serializer):
    type = serializers.CharField(read_only=True, help_text="For example ticket.created.")
    description = serializers.CharField(read_only=True)
    visibility = serializers.ChoiceField(
        choices=[events.PUBLIC, events.INTERNAL, events.PER_EVENT],
        read_only=True,
        help_text="internal: carries team-only data (sent to webhooks only when they opt in); "
        "per_event: each event's envelope says (a comment: reply or internal note).",
    )
    version = serializers.IntegerField(read_only=True, help_text="The payload's version.")
    fields = EventFieldSerializer(many=True, read_only=True, help_text="The payload (`data`).")


class EventTypeListSerializer(serializers.Serializer):
    next = serializers.URLField(read_only=True, allow_null=True, help_text="Always null.")
    previous = serializers.URLField(read_only=True, allow_null=True, help_text="Always null.")
    results = EventTypeSerializer(many=True, read_only=True)


class EventTypeListApi(TenantAPIView):
    """Every event type a tenant's webhooks and notification settings can choose from; one
    page, always complete (the list is part of the deployment, not of the tenant's data)."""

    name = "Event types"
    permission_map = {"get": "tenant.read"}

    @extend_schema(responses={200: EventTypeListSerializer})
    def get(self, request):
        listed = EventTypeSerializer(events.event_types(), many=True).data
        return Response({"next": None, "previous": None, "results": listed})
