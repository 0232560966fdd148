"""Input and output shapes of the merge and bulk routes."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import InputSerializer
from tenants.context import current_tenant_id
from tickets.api.serializers import MemberUserField, TagsField, TicketOutputSerializer
from tickets.models import Priority, Status, Ticket
from tickets.services.bulk import BULK_MAX_TICKETS

MAX_NUMBER = 10**18 - 1  # the URLs accept at most 18 digits


@extend_schema_field(OpenApiTypes.INT)
class TicketNumberField(serializers.IntegerField):
    """A ticket number resolved inside the current tenant; another tenant's ticket and a
    missing one are the same "does not exist"."""

    default_error_messages = {"does_not_exist": "Ticket #{value} does not exist."}

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_NUMBER, **kwargs)

    def run_validation(self, data=serializers.empty):
        number = super().run_validation(data)  # an integer in range (or the error)
        tenant_id = current_tenant_id()
        ticket = (
            Ticket.objects.filter(tenant_id=tenant_id, number=number).first()
            if tenant_id is not None
            else None
        )
        if ticket is None:
            self.fail("does_not_exist", value=number)
        return ticket


class TicketMergeInputSerializer(InputSerializer):
    into = TicketNumberField()


class TicketMergeOutputSerializer(serializers.Serializer):
    source = TicketOutputSerializer()
    target = TicketOutputSerializer()


class TicketBulkChangesInputSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    assignee = MemberUserField(required=False, allow_null=True)
    tags_add = TagsField(required=False)
    tags_remove = TagsField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give at least one change.")
        overlap = set(attrs.get("tags_add", ())) & set(attrs.get("tags_remove", ()))
        if overlap:
            raise serializers.ValidationError(
                {"tags_remove": [f"Also in tags_add: {', '.join(sorted(overlap))}."]}
            )
        return attrs


class TicketBulkInputSerializer(InputSerializer):
    numbers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_NUMBER),
        min_length=1,
        max_length=BULK_MAX_TICKETS,
    )
    changes = TicketBulkChangesInputSerializer()


class TicketBulkOutputSerializer(serializers.Serializer):
    updated = serializers.ListField(child=serializers.IntegerField())
    results = TicketOutputSerializer(many=True)
