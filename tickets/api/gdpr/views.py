import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from config.errors import NotFoundError
from tenants.api.base import TenantAPIView
from tickets import selectors
from tickets.api.gdpr import serializers as s
from tickets.models import Customer
from tickets.services import gdpr


def _customer(request, id: str) -> Customer:
    """The tenant's customer with this id; a malformed, missing or foreign id is one 404."""
    try:
        public_id = uuid.UUID(id)
    except ValueError as exc:
        raise NotFoundError("Not found.") from exc
    customer = (
        selectors.customer_list(tenant=request.tenant)
        .filter(tenant=request.tenant, public_id=public_id)
        .first()
    )
    if customer is None:
        raise NotFoundError("Not found.")
    return customer


class CustomerExportApi(TenantAPIView):
    required_permission = "customer.gdpr"

    @extend_schema(
        description=(
            "Everything held about the customer: profile, their tickets, their comments and the "
            "team's public replies, attachment metadata (no bytes). Admin+; audit-logged."
        ),
        responses={200: s.CustomerExportOutputSerializer},
    )
    def get(self, request, id: str):
        export = gdpr.customer_export(
            tenant=request.tenant, actor=self.actor, customer=_customer(request, id)
        )
        context = {
            "comment_authors": export.comment_authors,
            "attachment_uploaders": export.attachment_uploaders,
        }
        return Response(s.CustomerExportOutputSerializer(export, context=context).data)


class CustomerEraseApi(TenantAPIView):
    required_permission = "customer.gdpr"
    etag = {"post"}

    @extend_schema(
        description=(
            "Erase the customer's personal data (profile, their comments, their tickets' subject, "
            "description and metadata, their uploads) keeping ticket statistics. Irreversible; "
            "idempotent (erasing again returns the same result and records nothing). Admin+."
        ),
        request=s.CustomerEraseInputSerializer,
        responses={200: s.CustomerGdprOutputSerializer},
    )
    def post(self, request, id: str):
        customer = _customer(request, id)
        s.CustomerEraseInputSerializer(data=request.data).is_valid(raise_exception=True)
        customer = gdpr.customer_erase(tenant=request.tenant, actor=self.actor, customer=customer)
        response = Response(s.CustomerGdprOutputSerializer(customer).data)
        response["ETag"] = f'"{customer.version}"'
        return response
