import django_filters

from config.api.filters import StrictBooleanFilter, StrictIsoDateTimeFilter
from tenants.models import AuditLogEntry, Membership, Role


class MemberFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    is_active = StrictBooleanFilter()

    class Meta:
        model = Membership
        fields = ["role", "is_active"]


class AuditLogFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(max_length=64)
    target_type = django_filters.CharFilter(max_length=64)
    actor = django_filters.UUIDFilter(field_name="actor_user__public_id")
    created_after = StrictIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = StrictIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditLogEntry
        fields = ["action", "target_type", "actor", "created_after", "created_before"]
