import django_filters
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.filters import OrderingFilter

from config.api.filters import StrictBooleanFilter, StrictIsoDateTimeFilter
from tenants.context import require_tenant_id
from tenants.models import Tenant
from tickets import selectors
from tickets.models import URGENT_Q, Channel, Customer, Priority, Status, Ticket, Tier
from tickets.search import SEARCH_POSITION


class CustomerFilter(django_filters.FilterSet):
    tier = django_filters.MultipleChoiceFilter(distinct=False, choices=Tier.choices)
    company = django_filters.CharFilter(lookup_expr="iexact", max_length=200)
    email = django_filters.CharFilter(method="filter_email", max_length=254)
    search = django_filters.CharFilter(method="filter_search", max_length=200)

    class Meta:
        model = Customer
        fields = ["tier", "company", "email", "search"]

    def filter_email(self, queryset, name, value):
        return queryset.filter(email=value.strip().lower())  # stored lowercased

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(email__icontains=value))


_UUID = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
ASSIGNEE_PATTERN = f"^(me|none|{_UUID})$"


class TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(distinct=False, choices=Status.choices)
    priority = django_filters.MultipleChoiceFilter(distinct=False, choices=Priority.choices)
    channel = django_filters.MultipleChoiceFilter(distinct=False, choices=Channel.choices)
    category = django_filters.CharFilter(max_length=64)
    tag = django_filters.CharFilter(method="filter_tag", max_length=50)
    # <user id> | me | none; ids are matched inside the tenant's tickets only.
    assignee = django_filters.CharFilter(method="filter_assignee", max_length=36)
    requester = django_filters.UUIDFilter(field_name="requester__public_id")
    urgent = StrictBooleanFilter(method="filter_urgent")
    breached = StrictBooleanFilter(field_name="sla_breached")
    escalated = StrictBooleanFilter()
    created_after = StrictIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = StrictIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    # Full text over subject, description and comments (web-search syntax), best match first.
    search = django_filters.CharFilter(method="filter_search", max_length=200)

    class Meta:
        model = Ticket
        fields = [
            "status", "priority", "channel", "category", "tag", "assignee", "requester",
            "urgent", "breached", "escalated", "created_after", "created_before", "search",
        ]  # fmt: skip

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value.strip().lower()])

    @extend_schema_field(
        {
            "type": "string",
            "pattern": ASSIGNEE_PATTERN,
            "description": "A member's user id, `me` (the caller) or `none` (unassigned).",
        }
    )
    def filter_assignee(self, queryset, name, value):
        if value == "me":
            user_id = getattr(self.request.user, "pk", None)
            # An API key is nobody: without this, assignee_id=None would list unassigned tickets.
            return queryset.none() if user_id is None else queryset.filter(assignee_id=user_id)
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

    def filter_search(self, queryset, name, value):
        # Export jobs run this FilterSet without an HTTP request: the tenant context names it.
        tenant = getattr(self.request, "tenant", None) or Tenant.objects.get(pk=require_tenant_id())
        return selectors.ticket_search(tenant=tenant, query=value, queryset=queryset)


class TicketOrdering(OrderingFilter):
    """Whitelisted orderings; the cursor paginator reads them too. A search lists the best
    match first unless the caller asks for an order."""

    ordering_fields = ["created_at", "updated_at", "number"]

    def get_schema_operation_parameters(self, view):
        [parameter] = super().get_schema_operation_parameters(view)
        one = f"-?({'|'.join(self.ordering_fields)})"
        return [
            {
                **parameter,
                "description": "Sort by these fields, comma-separated; a leading '-' sorts "
                f"descending ({', '.join(self.ordering_fields)}).",
                "schema": {"type": "string", "pattern": f"^{one}(,{one})*$"},
            }
        ]

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        if len(valid) != len(fields):  # an ordering asked for is never silently dropped
            unknown = ", ".join(sorted(set(fields) - set(valid))) or "(empty)"
            raise serializers.ValidationError(
                {
                    "ordering": [
                        f"Unknown ordering {unknown}; use {', '.join(self.ordering_fields)}, "
                        "each optionally with a leading '-'."
                    ]
                }
            )
        return valid

    def get_ordering(self, request, queryset, view):
        if SEARCH_POSITION not in queryset.query.annotations:
            return self._with_tiebreak(super().get_ordering(request, queryset, view))
        param = request.query_params.get(self.ordering_param, "")
        fields = [field.strip() for field in param.split(",") if field.strip()]
        valid = self.remove_invalid_fields(queryset, fields, view, request)
        return self._with_tiebreak(valid) if valid else (SEARCH_POSITION,)

    @staticmethod
    def _with_tiebreak(ordering):
        # Equal timestamps need a stable order for cursor pages (the id is never exposed).
        ordering = list(ordering or ())
        if ordering and not any(f.lstrip("-") in ("id", "number") for f in ordering):
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return tuple(ordering)
