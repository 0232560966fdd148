import django_filters
from django.db.models import Q
from django.utils import timezone

from config.api.filters import StrictBooleanFilter, StrictIsoDateTimeFilter
from tenants.models import AuditLogEntry, Invitation, InvitationStatus, Membership, Role


class MemberFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices, help_text="Members with this role.")
    is_active = StrictBooleanFilter(
        help_text="true: active members; false: deactivated ones (they keep their history)."
    )

    class Meta:
        model = Membership
        fields = ["role", "is_active"]


class AuditLogFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(
        max_length=64,
        help_text='An action, exactly, e.g. "member.updated" or "api_key.revoked".',
    )
    target_type = django_filters.CharFilter(
        max_length=64,
        help_text='The kind of object acted on, e.g. "member" or "invitation".',
    )
    actor = django_filters.UUIDFilter(
        field_name="actor_user__public_id", help_text="Entries by this user (the user's id)."
    )
    created_after = StrictIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="At or after (ISO 8601)."
    )
    created_before = StrictIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Before (ISO 8601)."
    )

    class Meta:
        model = AuditLogEntry
        fields = ["action", "target_type", "actor", "created_after", "created_before"]


class InvitationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=InvitationStatus.choices,
        method="filter_status",
        label="status",
        help_text="Invitations in this state; a pending one past its expiry counts as expired.",
    )

    class Meta:
        model = Invitation
        fields = ["status"]

    def filter_status(self, queryset, name, value):
        # As shown: a pending invitation past its expiry is expired.
        now = timezone.now()
        pending, lapsed = Q(status=InvitationStatus.PENDING), Q(expires_at__lte=now)
        condition = {
            InvitationStatus.PENDING: pending & ~lapsed,
            InvitationStatus.EXPIRED: Q(status=InvitationStatus.EXPIRED) | (pending & lapsed),
        }.get(value, Q(status=value))
        return queryset.filter(condition)
