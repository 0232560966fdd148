from rest_framework import serializers

from notifications.models import Channel, EmailDelivery, EmailKind, Notification
from notifications.scheduling import MEMBER_KINDS
from tenants.models.outbox import OutboxStatus


class NotificationOutputSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    ticket = serializers.IntegerField(
        source="ticket_number", read_only=True, allow_null=True, help_text="The ticket's number."
    )
    read = serializers.SerializerMethodField()
    event_id = serializers.UUIDField(read_only=True, help_text="The event's envelope id.")

    class Meta:
        model = Notification
        fields = ["id", "kind", "event_type", "event_id", "ticket", "title", "data", "read",
                  "read_at", "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField(read_only=True)


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(read_only=True, help_text="How many were unread.")


class ChannelChoiceSerializer(serializers.Serializer):
    email = serializers.BooleanField(required=False)
    in_app = serializers.BooleanField(required=False)


def _preferences_serializer():
    fields = {
        kind: ChannelChoiceSerializer(
            required=False, help_text=f"{EmailKind(kind).label}: per channel, on or off."
        )
        for kind in MEMBER_KINDS
    }
    return type("NotificationPreferencesSerializer", (serializers.Serializer,), fields)


NotificationPreferencesSerializer = _preferences_serializer()
CHANNELS = Channel.values


class EmailDeliveryOutputSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    ticket = serializers.IntegerField(source="ticket_number", read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=OutboxStatus.choices, read_only=True)

    class Meta:
        model = EmailDelivery
        fields = ["id", "kind", "event_type", "event_id", "recipient", "ticket", "subject",
                  "status", "attempts", "next_attempt_at", "last_error", "provider",
                  "provider_message_id", "message_id", "tracking_status", "tracking_at",
                  "created_at", "finished_at"]  # fmt: skip
        read_only_fields = fields
