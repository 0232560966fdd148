from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from tenants.api.base import TenantAPIView
from tickets import selectors
from tickets.api.gdpr import serializers as s
from tickets.services import gdpr


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
        customer = selectors.customer_get(tenant=request.tenant, public_id=id)
        export = gdpr.customer_export(tenant=request.tenant, actor=self.actor, customer=customer)
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
        customer = selectors.customer_get(tenant=request.tenant, public_id=id)
        s.CustomerEraseInputSerializer(data=request.data).is_valid(raise_exception=True)
        customer = gdpr.customer_erase(tenant=request.tenant, actor=self.actor, customer=customer)
        response = Response(s.CustomerGdprOutputSerializer(customer).data)
        response["ETag"] = f'"{customer.version}"'
        return response
