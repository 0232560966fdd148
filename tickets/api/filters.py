import django_filters
from django.core.exceptions import ValidationError
from rest_framework import serializers
from rest_framework.filters import OrderingFilter

from tickets.models import URGENT_Q, Channel, Customer, Priority, Status, Ticket, Tier


class CustomerFilter(django_filters.FilterSet):
    tier = django_filters.MultipleChoiceFilter(choices=Tier.choices)
    company = django_filters.CharFilter(lookup_expr="iexact", max_length=200)
    email = django_filters.CharFilter(lookup_expr="iexact", max_length=254)
    search = django_filters.CharFilter(method="filter_search", max_length=200)

    class Meta:
        model = Customer
        fields = ["tier", "company", "email", "search"]

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(email__icontains=value))


class TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    category = django_filters.CharFilter(max_length=64)
    tag = django_filters.CharFilter(method="filter_tag", max_length=50)
    # <user id> | me | none; ids are matched inside the tenant's tickets only.
    assignee = django_filters.CharFilter(method="filter_assignee", max_length=36)
    requester = django_filters.UUIDFilter(field_name="requester__public_id")
    urgent = django_filters.BooleanFilter(method="filter_urgent")
    breached = django_filters.BooleanFilter(field_name="sla_breached")
    escalated = django_filters.BooleanFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Ticket
        fields = [
            "status", "priority", "channel", "category", "tag", "assignee", "requester",
            "urgent", "breached", "escalated", "created_after", "created_before",
        ]  # fmt: skip

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value.strip().lower()])

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee_id=getattr(self.request.user, "pk", None))
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        try:
            return queryset.filter(assignee__public_id=value)
        except ValidationError as exc:
            raise serializers.ValidationError(
                {"assignee": ["Use a user id, 'me' or 'none'."]}
            ) from exc

    def filter_urgent(self, queryset, name, value):
        return queryset.filter(URGENT_Q) if value else queryset.exclude(URGENT_Q)


class TicketOrdering(OrderingFilter):
    """Whitelisted orderings; the cursor paginator reads them too."""

    ordering_fields = ["created_at", "updated_at", "number"]
