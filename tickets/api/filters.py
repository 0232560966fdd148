"""DRF adapters of the ticket and customer list filters (tickets.filters).

The backends below are django-filter's DjangoFilterBackend, so the schema's query parameters
and the browsable API's Filters form come from the FilterSets as before; the rows come from
the list selectors, told the request's tenant and caller.
"""

from collections.abc import Callable

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.filters import OrderingFilter

from tenants.models import User
from tickets import selectors
from tickets.filters import CustomerFilter, TenantFilterSet, TicketFilter
from tickets.search import SEARCH_POSITION


def filter_user(request) -> User | None:
    """Who a filter's `me` is: the signed-in user; None for an API key (nobody)."""
    user = request.user
    return user if isinstance(user, User) else None


class _SelectorFilterBackend(DjangoFilterBackend):
    filterset_class: type[TenantFilterSet]
    selector: Callable[..., QuerySet]

    def get_filterset_class(self, view, queryset=None):
        return self.filterset_class

    def get_filterset_kwargs(self, request, queryset, view):
        # The browsable API's Filters form builds the FilterSet through this.
        return {
            "data": request.query_params,
            "queryset": queryset,
            "tenant": request.tenant,
            "user": filter_user(request),
        }

    def filter_queryset(self, request, queryset, view):
        return type(self).selector(
            tenant=request.tenant,
            user=filter_user(request),
            filters=request.query_params,
            queryset=queryset,
        )


class CustomerFilterBackend(_SelectorFilterBackend):
    filterset_class = CustomerFilter
    selector = staticmethod(selectors.customer_list_filtered)


class TicketFilterBackend(_SelectorFilterBackend):
    filterset_class = TicketFilter
    selector = staticmethod(selectors.ticket_list_filtered)


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
