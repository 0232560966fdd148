from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from config.errors import PermissionDeniedError
from tenants.api.base import TenantViewSet
from tenants.permissions import has_capability
from tickets import selectors
from tickets.api.exports import serializers as s
from tickets.models import ExportJob, ExportKind
from tickets.services import exports as export_services

_FILE_NAMES = {ExportKind.TICKETS: "tickets-export", ExportKind.REPORT_SUMMARY: "report-summary"}


class _JsonErrorsOnly(BaseContentNegotiation):
    """The download answers CSV bytes or a JSON error, whatever the client's Accept says
    (a `text/csv` Accept must not turn into 406 before the file is even looked at)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    selector = staticmethod(selectors.export_job_list)
    model = ExportJob
    filter_backends: list = []
    serializer_class = s.ExportJobOutputSerializer
    input_serializers = {"create": s.ExportCreateInputSerializer}
    permission_map = {
        "list": "ticket.export",
        "retrieve": "ticket.export",
        "create": "ticket.export",
        "download": "ticket.export",
    }

    @extend_schema(
        request=s.ExportCreateInputSerializer, responses={202: s.ExportJobOutputSerializer}
    )
    def create(self, request):
        data = s.ExportCreateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        kind = data.validated_data["kind"]
        if kind == ExportKind.REPORT_SUMMARY and not has_capability(
            request.access.role, "report.read"
        ):
            raise PermissionDeniedError("Your role does not allow this action.")
        job = export_services.export_job_create(
            tenant=request.tenant,
            actor=self.actor,
            filters=data.validated_data.get("filters", {}),
            kind=kind,
        )
        response = Response(s.ExportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = f"{request.path}{job.public_id}/"
        return response

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[JSONRenderer],
        content_negotiation_class=_JsonErrorsOnly,
    )
    def download(self, request, id=None):
        job = self.get_object()
        content = export_services.export_job_open(tenant=request.tenant, job=job)
        response = FileResponse(
            content,
            as_attachment=True,
            filename=f"{_FILE_NAMES[job.kind]}-{job.public_id}.csv",
            content_type="text/csv; charset=utf-8",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
