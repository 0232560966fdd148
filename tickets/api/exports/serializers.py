from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import InputSerializer
from tenants.models import User
from tickets.services.exports import export_filters_clean


@extend_schema_field(OpenApiTypes.OBJECT)
class ExportFiltersField(serializers.Field):
    """The ticket list's filters as a JSON object, checked by the list's own rules."""

    def to_internal_value(self, data):
        request = self.context["request"]
        user = request.user
        try:
            return export_filters_clean(
                tenant=request.tenant,
                filters=data,
                user=user if isinstance(user, User) else None,
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc

    def to_representation(self, value):
        return value


class ExportCreateInputSerializer(InputSerializer):
    filters = ExportFiltersField(required=False)


class ExportJobOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.CharField()
    filters = serializers.JSONField()
    row_count = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    requested_by = serializers.UUIDField(
        source="requested_by.public_id", default=None, allow_null=True
    )
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
