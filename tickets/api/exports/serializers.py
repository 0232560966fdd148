from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import InputSerializer
from tenants.models import User
from tickets.models import ExportKind
from tickets.reports import GROUP_BYS
from tickets.services.exports import export_filters_clean, export_report_params_clean


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


class ExportReportInputSerializer(InputSerializer):
    """What a report export covers, as `reports/summary/` takes it (ISO 8601 strings)."""

    from_ = serializers.CharField(
        required=False,
        help_text="A date (a whole day in the tenant's timezone) or date-time. Default: 30 "
        "days before `to`.",
    )
    to = serializers.CharField(required=False, help_text="Excluded. Default: the request.")
    group_by = serializers.ChoiceField(choices=GROUP_BYS, required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # a Python keyword
        return fields


class ExportCreateInputSerializer(InputSerializer):
    kind = serializers.ChoiceField(
        choices=ExportKind.choices,
        required=False,
        help_text="tickets (default): the tickets matching `filters`; report_summary: "
        "reports/summary/ over `report` as CSV (supervisor and above).",
    )
    filters = ExportFiltersField(required=False)
    report = ExportReportInputSerializer(required=False)

    def validate(self, data):
        kind = data.setdefault("kind", ExportKind.TICKETS)
        if kind == ExportKind.TICKETS:
            if "report" in data:
                raise serializers.ValidationError({"report": ["Only a report export takes it."]})
            return data
        if "filters" in data:
            raise serializers.ValidationError({"filters": ["A report export takes `report`."]})
        try:
            data["filters"] = export_report_params_clean(
                tenant=self.context["request"].tenant,
                params=data.pop("report", {}),
                now=timezone.now(),
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"report": exc.message_dict}) from exc
        return data


class ExportJobOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.ChoiceField(choices=ExportKind.choices)
    status = serializers.CharField()
    filters = serializers.JSONField(
        help_text="The ticket filters; for a report, its window (UTC) and group_by."
    )
    row_count = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    requested_by = serializers.UUIDField(
        source="requested_by.public_id", default=None, allow_null=True
    )
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
