import django_filters
from django import forms

from config.api.filters import StrictBooleanFilter, StrictIsoDateTimeFilter
from notifications.models import EmailDelivery, EmailKind, Notification
from tenants.models.outbox import OutboxStatus


class TicketNumberFilter(django_filters.Filter):
    """A ticket number: a whole number a bigint holds; anything else is a 400."""

    field_class = forms.IntegerField

    def __init__(self, **kwargs):
        super().__init__(field_name="ticket_number", min_value=1, max_value=2**63 - 1, **kwargs)


class NotificationFilter(django_filters.FilterSet):
    unread = StrictBooleanFilter(
        field_name="read_at", lookup_expr="isnull", help_text="true: unread only; false: read."
    )
    kind = django_filters.ChoiceFilter(choices=EmailKind.choices, help_text="What happened.")
    ticket = TicketNumberFilter(help_text="About this ticket (its number).")
    created_after = StrictIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )

    class Meta:
        model = Notification
        fields = ["unread", "kind", "ticket", "created_after"]


class EmailDeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=OutboxStatus.choices, help_text="Where the email's delivery stands."
    )
    kind = django_filters.ChoiceFilter(choices=EmailKind.choices, help_text="Which email.")
    ticket = TicketNumberFilter(help_text="About this ticket (its number).")
    recipient = django_filters.CharFilter(
        method="filter_recipient",
        max_length=254,
        help_text="Sent to this address, exact (ignoring case).",
    )
    created_after = StrictIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = StrictIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )

    class Meta:
        model = EmailDelivery
        fields = ["status", "kind", "ticket", "recipient", "created_after", "created_before"]

    def filter_recipient(self, queryset, name, value):
        return queryset.filter(recipient=value.strip().lower())
