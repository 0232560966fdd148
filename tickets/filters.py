"""The list filters of tickets and customers: which rows a list (or an export) holds.

django-filter FilterSets fed query-string values (a QueryDict or a mapping of strings and
lists of strings). They are told whom they run for — `tenant`, and `user` for `assignee=me`
(None for an API key or a background job, which are nobody) — instead of reading an HTTP
request, so the API, exports and jobs apply one set of rules. Selectors apply them
(tickets.selectors.ticket_list_filtered, customer_list_filtered); tickets.api.filters adapts
them to DRF's filter backend (the query parameters of the schema, the browsable API's form).
"""

import copy
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms import MultiValueField
from django.http import QueryDict
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field

from config.api.filters import StrictBooleanFilter, StrictIsoDateTimeFilter
from tenants.models import Tenant, User
from tickets.models import URGENT_Q, Channel, Customer, Priority, Status, Ticket, Tier
from tickets.search import ticket_search_narrow


class TenantFilterSet(django_filters.FilterSet):
    """A FilterSet that runs for an explicit tenant and user, never for a request."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        queryset: QuerySet | None = None,
        *,
        tenant: Tenant,
        user: User | None = None,
        prefix: str | None = None,
    ):
        # django-filter's __init__, but each filter copied shallowly instead of deeply (a deep
        # copy of every filter, its field and widget was the largest cost of a filtered list):
        # a filter keeps no state of its own per request but its model and parent, set here,
        # and a method filter's binding to its parent, renewed here.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = None
        self.form_prefix = prefix
        self.filters = {}
        for name, base in self.base_filters.items():
            filter_ = copy.copy(base)
            filter_.extra = base.extra.copy()  # the field's arguments: this copy's own
            filter_.model = queryset.model
            filter_.parent = self
            if filter_.method is not None:
                filter_.method = filter_.method  # a FilterMethod bound to this copy
            self.filters[name] = filter_
        self.tenant = tenant
        self.user = user

    def get_form_class(self):
        # No filter builds its form field from the tenant, the user or the data, so the form
        # class is the class's: built once, not per list request. Its forms share its fields
        # (_SharedFields): a form only validates with them or renders them, and neither
        # changes a field.
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            _check_fields_shareable(type(self))
            form_class = super().get_form_class()
            form_class.base_fields = _SharedFields(form_class.base_fields)
            type(self)._form_class = form_class
        return form_class


def _check_fields_shareable(filterset_class: type) -> None:
    """Refuse a filter whose form field depends on the request (django-filter's
    QuerySetRequestMixin: a queryset or choices built per request, e.g. a tenant's members) or
    that keeps state in its field (MultiValueField, the range filters): their forms cannot
    share one class's fields."""
    for name, filter_ in filterset_class.base_filters.items():
        if isinstance(filter_, django_filters.filters.QuerySetRequestMixin) or issubclass(
            filter_.field_class, MultiValueField
        ):
            raise TypeError(
                f"{filterset_class.__name__}.{name}: a TenantFilterSet's forms share one set "
                "of fields; a per-request queryset or a multi-value field cannot be shared"
            )


class _SharedFields(dict):
    """A form class's fields that its forms share: Django's form deep-copies them per form."""

    def __deepcopy__(self, memo):
        return dict(self)


def filterset_apply(filterset: django_filters.FilterSet) -> QuerySet:
    """Return the rows a bound FilterSet selects.

    Raises ValidationError({filter: [messages]}) for a value a filter cannot use (the form's
    checks, and those of method filters, which run while filtering).
    """
    if not filterset.is_valid():
        raise ValidationError({name: list(messages) for name, messages in filterset.errors.items()})
    return filterset.qs


class CustomerFilter(TenantFilterSet):
    tier = django_filters.MultipleChoiceFilter(
        distinct=False,
        choices=Tier.choices,
        help_text="Customers of this tier; repeatable (tier=free&tier=basic).",
    )
    company = django_filters.CharFilter(
        lookup_expr="iexact", max_length=200, help_text="Company name, exact but ignoring case."
    )
    email = django_filters.CharFilter(
        method="filter_email", max_length=254, help_text="Email address, exact (ignoring case)."
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text="Text contained in the name or the email address (ignoring case).",
    )

    class Meta:
        model = Customer
        fields = ["tier", "company", "email", "search"]

    def filter_email(self, queryset, name, value):
        return queryset.filter(email=value.strip().lower())  # stored lowercased

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(email__icontains=value))


SLA_STATES = ("at_risk", "breached", "met")
SLA_AT_RISK_WITHIN = timedelta(hours=1)


def sla_due_before(moment, *, inclusive: bool = False) -> Q:
    """Tickets with a running SLA clock due before `moment` (or at it, when inclusive)."""
    lookup = "lte" if inclusive else "lt"
    first_response = Q(
        first_response_at__isnull=True,
        first_response_due_at__isnull=False,
        **{f"first_response_due_at__{lookup}": moment},
    )
    resolution = Q(
        status__in=[Status.OPEN, Status.IN_PROGRESS],
        resolution_due_at__isnull=False,
        **{f"resolution_due_at__{lookup}": moment},
    )
    return first_response | resolution


_UUID = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
ASSIGNEE_PATTERN = f"^(me|none|{_UUID})$"


class TicketFilter(TenantFilterSet):
    status = django_filters.MultipleChoiceFilter(
        distinct=False,
        choices=Status.choices,
        help_text="Tickets in this status; repeat for several (status=open&status=pending).",
    )
    priority = django_filters.MultipleChoiceFilter(
        distinct=False, choices=Priority.choices, help_text="Tickets of this priority; repeatable."
    )
    channel = django_filters.MultipleChoiceFilter(
        distinct=False,
        choices=Channel.choices,
        help_text="Tickets that arrived through this channel; repeatable.",
    )
    category = django_filters.CharFilter(
        max_length=64, help_text="Tickets of this category, exactly as stored (e.g. billing)."
    )
    tag = django_filters.CharFilter(
        method="filter_tag", max_length=50, help_text="Tickets carrying this tag (ignoring case)."
    )
    # <user id> | me | none; ids are matched inside the tenant's tickets only.
    assignee = django_filters.CharFilter(method="filter_assignee", max_length=36)
    requester = django_filters.UUIDFilter(
        field_name="requester__public_id",
        help_text="Tickets requested by this customer (the customer's id).",
    )
    urgent = StrictBooleanFilter(
        method="filter_urgent",
        help_text="true: open or in progress, unassigned, high or critical priority; false: the "
        "others.",
    )
    breached = StrictBooleanFilter(
        field_name="sla_breached",
        help_text="true: a first-response or resolution target was missed; false: none was.",
    )
    # A running SLA clock (first response or resolution) due before this time.
    due_before = StrictIsoDateTimeFilter(
        method="filter_due_before",
        help_text="A running SLA clock (first response or resolution) is due before this time "
        "(ISO 8601).",
    )
    sla_state = django_filters.ChoiceFilter(
        choices=[(state, state) for state in SLA_STATES], method="filter_sla_state"
    )
    escalated = StrictBooleanFilter(
        help_text="true: escalated by the SLA sweep (a missed target or too long unassigned)."
    )
    created_after = StrictIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = StrictIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )
    # Full text over subject, description and comments (web-search syntax), best match first.
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text="Full text over subject, description and comments, in the tenant's search "
        'language: words (all must match), "quoted phrases", OR, and -word to exclude. Best '
        "match first unless `ordering` is given. Combines with every other filter.",
    )

    class Meta:
        model = Ticket
        fields = [
            "status", "priority", "channel", "category", "tag", "assignee", "requester",
            "urgent", "breached", "due_before", "sla_state", "escalated", "created_after",
            "created_before", "search",
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
            # An API key is nobody: without this, assignee_id=None would list unassigned tickets.
            if self.user is None:
                return queryset.none()
            return queryset.filter(assignee_id=self.user.pk)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        try:
            return queryset.filter(assignee__public_id=value)
        except ValidationError as exc:
            raise ValidationError({"assignee": ["Use a user id, 'me' or 'none'."]}) from exc

    def filter_due_before(self, queryset, name, value):
        return queryset.filter(sla_due_before(value))

    @extend_schema_field(
        {
            "type": "string",
            "enum": list(SLA_STATES),
            "description": "at_risk: not breached, a running clock due within the hour (or "
            "past due, not yet swept); breached: a target was missed; met: resolved or "
            "closed without a breach.",
        }
    )
    def filter_sla_state(self, queryset, name, value):
        if value == "breached":
            return queryset.filter(sla_breached=True)
        if value == "met":
            return queryset.filter(status__in=[Status.RESOLVED, Status.CLOSED], sla_breached=False)
        soon = timezone.now() + SLA_AT_RISK_WITHIN
        return queryset.filter(sla_due_before(soon, inclusive=True), sla_breached=False)

    def filter_urgent(self, queryset, name, value):
        return queryset.filter(URGENT_Q) if value else queryset.exclude(URGENT_Q)

    def filter_search(self, queryset, name, value):
        return ticket_search_narrow(queryset.filter(tenant=self.tenant), query=value)


def ticket_filters_clean(
    *, tenant: Tenant, user: User | None, filters: Mapping[str, Any]
) -> dict[str, Any]:
    """Check ticket list filters without reading a row; return the cleaned value of each
    filter (None or empty for those not given). Raises ValidationError({filter: [messages]}).

    Building a `search` filter runs no query either (the list joins the search function when
    it is read, tickets.search.ticket_search_narrow).
    """
    filterset = TicketFilter(data=filters, queryset=Ticket.objects.none(), tenant=tenant, user=user)
    filterset_apply(filterset)  # builds the query (method filters validate), runs nothing
    return filterset.form.cleaned_data
