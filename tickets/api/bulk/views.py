from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from tenants.api.base import TenantAPIView
from tickets import services
from tickets.api import examples
from tickets.api.base import TicketScopedMixin
from tickets.api.bulk import serializers as s
from tickets.api.serializers import TicketOutputSerializer


class TicketMergeApi(TicketScopedMixin, TenantAPIView):
    required_permission = "ticket.merge"

    @extend_schema(
        parameters=[OpenApiParameter("number", int, OpenApiParameter.PATH)],
        request=s.TicketMergeInputSerializer,
        responses={200: s.TicketMergeOutputSerializer},
        examples=examples.MERGE,
    )
    def post(self, request, number):
        # The source first: another tenant's number is the same 404 whatever the body says.
        ticket = self.ticket
        data = s.TicketMergeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.ticket_merge(
            tenant=request.tenant, actor=self.actor, ticket=ticket, **data.validated_data
        )
        return Response(
            {
                "source": TicketOutputSerializer(result.source).data,
                "target": TicketOutputSerializer(result.target).data,
            }
        )


class TicketBulkApi(TenantAPIView):
    required_permission = "ticket.bulk"

    @extend_schema(
        request=s.TicketBulkInputSerializer,
        responses={200: s.TicketBulkOutputSerializer},
        examples=examples.BULK,
    )
    def post(self, request):
        data = s.TicketBulkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.ticket_bulk_update(
            tenant=request.tenant, actor=self.actor, **data.validated_data
        )
        return Response(
            {
                "updated": result.updated,
                "results": TicketOutputSerializer(result.tickets, many=True).data,
            }
        )
