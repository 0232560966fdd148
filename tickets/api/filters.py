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

from config.api.pagination import CursorKey
from tenants.models import User
from tickets import selectors
from tickets.filters import CustomerFilter, TenantFilterSet, TicketFilter
from tickets.models import due_sort_key
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


# Orderings by SLA due time: the ordering name, the due target (tickets.models.due_sort_key)
# and the annotation the list sorts by (the key, then the number: the cursor pages by keyset).
DUE_ORDERINGS = {
    "first_response_due_at": ("first_response", "first_response_due_key"),
    "resolution_due_at": ("resolution", "resolution_due_key"),
    "sla_due": ("sla", "sla_due_key"),
}
_DUE_KEYS = {key: target for target, key in DUE_ORDERINGS.values()}


class TicketOrdering(OrderingFilter):
    """Whitelisted orderings; the cursor paginator reads them too. A search lists the best
    match first unless the caller asks for an order.

    A due-time ordering (DUE_ORDERINGS) sorts by a running clock's due time, soonest first
    (or latest first with '-'); tickets without a running clock come last either way. It sorts
    on its own (no second field)."""

    plain_fields = ["created_at", "updated_at", "number"]
    ordering_fields = [*plain_fields, *DUE_ORDERINGS]

    def get_schema_operation_parameters(self, view):
        [parameter] = super().get_schema_operation_parameters(view)
        one = f"-?({'|'.join(self.plain_fields)})"
        due = f"-?({'|'.join(DUE_ORDERINGS)})"
        return [
            {
                **parameter,
                "description": "Sort by these fields, comma-separated; a leading '-' sorts "
                f"descending ({', '.join(self.plain_fields)}). Or by one SLA due time alone "
                f"({', '.join(DUE_ORDERINGS)}; sla_due is the earlier of the two): running "
                "clocks only, soonest first, tickets without a running "
                "clock last ('-' reverses the whole order: they come first).",
                "schema": {"type": "string", "pattern": f"^({due}|{one}(,{one})*)$"},
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
        due = [field for field in valid if field.lstrip("-") in DUE_ORDERINGS]
        if due and len(valid) > 1:
            raise serializers.ValidationError(
                {"ordering": [f"{due[0].lstrip('-')} sorts on its own; drop the other fields."]}
            )
        return valid

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        key = ordering[0].lstrip("-")
        if key in _DUE_KEYS:
            # One key both ways: '-' reverses the whole order, so the same index serves it
            # (read backwards) and tickets without a running clock come first.
            queryset = queryset.annotate(**{key: CursorKey(due_sort_key(_DUE_KEYS[key]))})
        return queryset.order_by(*ordering)

    def get_ordering(self, request, queryset, view):
        if SEARCH_POSITION not in queryset.query.annotations:
            return self._with_tiebreak(super().get_ordering(request, queryset, view))
        param = request.query_params.get(self.ordering_param, "")
        fields = [field.strip() for field in param.split(",") if field.strip()]
        valid = self.remove_invalid_fields(queryset, fields, view, request)
        return self._with_tiebreak(valid) if valid else (SEARCH_POSITION,)

    @staticmethod
    def _with_tiebreak(ordering):
        ordering = list(ordering or ())
        if ordering and ordering[0].lstrip("-") in DUE_ORDERINGS:
            # The key (an annotation, filter_queryset) and the unique number after it: the
            # cursor's position holds both (config.api.pagination.CursorKey).
            sign = "-" if ordering[0].startswith("-") else ""
            _, key = DUE_ORDERINGS[ordering[0].lstrip("-")]
            return (f"{sign}{key}", f"{sign}number")
        # Equal timestamps need a stable order for cursor pages (the id is never exposed).
        if ordering and not any(f.lstrip("-") in ("id", "number") for f in ordering):
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return tuple(ordering)
