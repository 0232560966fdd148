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
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull")
    kind = django_filters.ChoiceFilter(choices=EmailKind.choices)
    ticket = TicketNumberFilter()
    created_after = StrictIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Notification
        fields = ["unread", "kind", "ticket", "created_after"]


class EmailDeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OutboxStatus.choices)
    kind = django_filters.ChoiceFilter(choices=EmailKind.choices)
    ticket = TicketNumberFilter()
    recipient = django_filters.CharFilter(method="filter_recipient", max_length=254)
    created_after = StrictIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = StrictIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = EmailDelivery
        fields = ["status", "kind", "ticket", "recipient", "created_after", "created_before"]

    def filter_recipient(self, queryset, name, value):
        return queryset.filter(recipient=value.strip().lower())
