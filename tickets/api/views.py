from collections.abc import Sequence

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.etags import expected_version, with_etag
from config.api.pagination import OldestFirstCursorPagination
from tenants.api.base import TenantViewSet
from tickets import history, selectors, services
from tickets.api import examples
from tickets.api import serializers as s
from tickets.api.base import TicketScopedMixin
from tickets.api.filters import CustomerFilterBackend, TicketFilterBackend, TicketOrdering
from tickets.filters import TicketFilter
from tickets.models import Customer, Ticket
from tickets.search import SEARCH_POSITION


def _oldest_first_page(request, queryset, serializer_class) -> Response:
    paginator = OldestFirstCursorPagination()
    page = paginator.paginate_queryset(queryset, request)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


# --- Customers --------------------------------------------------------------------------------


class CustomerViewSet(mixins.ListModelMixin, TenantViewSet):
    selector = staticmethod(selectors.customer_list)
    if_match = {"partial_update", "destroy"}
    etag = {"retrieve", "create", "partial_update"}
    model = Customer
    filter_backends = [CustomerFilterBackend]
    serializer_class = s.CustomerOutputSerializer
    input_serializers = {
        "create": s.CustomerCreateInputSerializer,
        "partial_update": s.CustomerUpdateInputSerializer,
    }
    permission_map = {
        "list": "customer.read",
        "retrieve": "customer.read",
        "create": "customer.write",
        "partial_update": "customer.write",
        "destroy": "customer.delete",
    }

    def retrieve(self, request, id=None):
        customer = self.get_object()
        return with_etag(Response(s.CustomerOutputSerializer(customer).data), customer)

    @extend_schema(examples=examples.CUSTOMER_CREATE)
    def create(self, request):
        data = s.CustomerCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_create(
            tenant=request.tenant, actor=self.actor, **data.validated_data
        )
        response = Response(
            s.CustomerOutputSerializer(customer).data, status=status.HTTP_201_CREATED
        )
        return with_etag(response, customer)

    def partial_update(self, request, id=None):
        customer = self.get_object()
        data = s.CustomerUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_update(
            tenant=request.tenant,
            actor=self.actor,
            customer=customer,
            expected_version=expected_version(request),
            **data.validated_data,
        )
        return with_etag(Response(s.CustomerOutputSerializer(customer).data), customer)

    def destroy(self, request, id=None):
        services.customer_delete(
            tenant=request.tenant,
            actor=self.actor,
            customer=self.get_object(),
            expected_version=expected_version(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Tickets ----------------------------------------------------------------------------------


# A search lists best match first; the id breaks no tie (positions are unique) but the general
# path orders by it too (tickets.api.filters.TicketOrdering).
_SEARCH_ORDERING = (SEARCH_POSITION, "id")


class TicketViewSet(TicketScopedMixin, mixins.ListModelMixin, TenantViewSet):
    selector = staticmethod(selectors.ticket_list)
    if_match = {"partial_update", "destroy"}
    etag = {"retrieve", "create", "partial_update", "assign"}
    model = Ticket
    lookup_field = "number"
    lookup_url_kwarg = "number"
    lookup_value_regex = "[0-9]{1,18}"
    filter_backends = [TicketFilterBackend, TicketOrdering]
    ordering = ("-created_at", "-id")
    serializer_class = s.TicketOutputSerializer
    input_serializers = {
        "create": s.TicketCreateInputSerializer,
        "partial_update": s.TicketUpdateInputSerializer,
        "assign": s.TicketAssignInputSerializer,
        "comment_create": s.CommentCreateInputSerializer,
    }
    permission_map = {
        "list": "ticket.read",
        "retrieve": "ticket.read",
        "events": "ticket.read",
        "create": "ticket.write",
        "partial_update": "ticket.write",
        "assign": "ticket.write",
        "destroy": "ticket.delete",
        "comments": "ticket.read",
        "comment_create": "ticket.write",
    }

    def get_object(self) -> Ticket:
        # tickets/<number>/ itself is read like every route under it: once per request.
        self.check_object_permissions(self.request, self.ticket)
        return self.ticket

    @extend_schema(examples=examples.TICKET_LIST)
    def list(self, request, *args, **kwargs):
        params = request.query_params
        page = None
        if params.keys() <= {"page_size"}:
            # The plain first page (a queue's opening view), its query compiled once.
            page = self.paginator.paginate_first_page(
                lambda size: selectors.ticket_page_first(
                    tenant=request.tenant, ordering=self.ordering, size=size
                ),
                request,
                self.ordering,
            )
        elif params.keys() <= {"page_size", "search"}:
            page = self._search_first_page(request)
        if page is None:
            return super().list(request, *args, **kwargs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _search_first_page(self, request) -> Sequence[Ticket] | None:
        """A search's first page with no other filter or ordering (selectors.
        ticket_search_first); None for the general path: a blank search (no filter), or a
        value the filter refuses (its field errors)."""
        try:
            query = TicketFilter.base_filters["search"].field.clean(request.query_params["search"])
        except DjangoValidationError:
            return None
        if not query:
            return None
        return self.paginator.paginate_first_page(
            lambda size: selectors.ticket_search_first(
                tenant=request.tenant, query=query, size=size
            ),
            request,
            _SEARCH_ORDERING,
        )

    @extend_schema(examples=examples.TICKET_GET)
    def retrieve(self, request, number=None):
        ticket = self.get_object()
        return with_etag(Response(s.TicketOutputSerializer(ticket).data), ticket)

    @extend_schema(examples=examples.TICKET_CREATE)
    def create(self, request):
        data = s.TicketCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The service's ticket carries its requester, assignee and calendar: no re-read.
        ticket = services.ticket_create(
            tenant=request.tenant, actor=self.actor, **data.validated_data
        )
        response = Response(s.TicketOutputSerializer(ticket).data, status=status.HTTP_201_CREATED)
        return with_etag(response, ticket)

    @extend_schema(examples=examples.TICKET_UPDATE)
    def partial_update(self, request, number=None):
        ticket = self.get_object()
        data = s.TicketUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.ticket_update(
            tenant=request.tenant,
            actor=self.actor,
            ticket=ticket,
            expected_version=expected_version(request),
            **data.validated_data,
        )
        return with_etag(Response(s.TicketOutputSerializer(ticket).data), ticket)

    def destroy(self, request, number=None):
        services.ticket_delete(
            tenant=request.tenant,
            actor=self.actor,
            ticket=self.get_object(),
            expected_version=expected_version(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.TicketAssignInputSerializer,
        responses=s.TicketOutputSerializer,
        examples=examples.TICKET_ASSIGN,
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, number=None):
        ticket = self.ticket  # the 404 comes before any complaint about the body
        data = s.TicketAssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.ticket_assign(
            tenant=request.tenant, actor=self.actor, ticket=ticket, **data.validated_data
        )
        return with_etag(Response(s.TicketOutputSerializer(ticket).data), ticket)

    # One handler per method (DRF would route HEAD to a shared handler, which must never be
    # the one that writes).
    # No list filters here: the ticket list's filters and ordering do not apply to a ticket's
    # comments or history (they were ignored, yet offered in the schema and the browsable API).
    @extend_schema(request=None, responses=s.CommentOutputSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def comments(self, request, number=None):
        queryset = selectors.comment_list(tenant=request.tenant, ticket=self.ticket)
        return _oldest_first_page(request, queryset, s.CommentOutputSerializer)

    @extend_schema(
        request=s.CommentCreateInputSerializer,
        responses={201: s.CommentOutputSerializer},
        examples=examples.COMMENT_CREATE,
    )
    @comments.mapping.post
    def comment_create(self, request, number=None):
        ticket = self.ticket  # the 404 comes before any complaint about the body
        data = s.CommentCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(
            tenant=request.tenant, actor=self.actor, ticket=ticket, **data.validated_data
        )
        return Response(s.CommentOutputSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.TicketEventOutputSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def events(self, request, number=None):
        queryset = selectors.ticket_event_list(tenant=request.tenant, ticket=self.ticket)
        paginator = OldestFirstCursorPagination()
        page = paginator.paginate_queryset(queryset, request)
        # The members the page names, read once (no query for a page without assignments).
        people = selectors.people_names(public_ids=history.assignee_ids(page))
        data = s.TicketEventOutputSerializer(page, many=True, context={"people": people}).data
        return paginator.get_paginated_response(data)
