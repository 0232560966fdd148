import logging

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from config.api.pagination import OldestFirstCursorPagination
from tenants.api.base import TenantViewSet
from tickets import selectors
from tickets.api.attachments import serializers as s
from tickets.api.base import TicketScopedMixin
from tickets.models import Attachment
from tickets.services import attachments as attachment_services
from tickets.storage import attachment_storage

logger = logging.getLogger(__name__)


class TicketAttachmentViewSet(
    TicketScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet
):
    selector = staticmethod(selectors.attachment_list)
    model = Attachment
    serializer_class = s.AttachmentOutputSerializer
    input_serializers = {"create": s.AttachmentUploadInputSerializer}
    parser_classes = [MultiPartParser]
    pagination_class = OldestFirstCursorPagination
    permission_map = {
        "list": "ticket.read",
        "retrieve": "ticket.read",
        "download": "ticket.read",
        "create": "ticket.write",
        "destroy": "ticket.write",
    }

    def filter_queryset(self, queryset):
        # Narrows lists and get_object() alike: an attachment is reachable only under its ticket.
        return super().filter_queryset(queryset).filter(ticket=self.ticket)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "tenant_slug": self.request.tenant.slug}

    @extend_schema(
        request={"multipart/form-data": s.AttachmentUploadInputSerializer},
        responses={201: s.AttachmentOutputSerializer},
    )
    def create(self, request, number=None):
        ticket = self.ticket
        data = s.AttachmentUploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        attachment = attachment_services.attachment_create(
            tenant=request.tenant,
            actor=self.actor,
            ticket=ticket,
            file=upload,
            filename=upload.name or "",
            content_type=upload.content_type,
            comment=data.validated_data.get("comment"),
        )
        output = s.AttachmentOutputSerializer(attachment, context=self.get_serializer_context())
        return Response(output.data, status=status.HTTP_201_CREATED)

    def destroy(self, request, number=None, id=None):
        attachment_services.attachment_delete(
            tenant=request.tenant, actor=self.actor, attachment=self.get_object()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file, with the content type it was stored with.",
            )
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request, number=None, id=None):
        attachment = self.get_object()
        try:
            content = attachment_storage().open(attachment.storage_key, "rb")
        except FileNotFoundError as exc:
            logger.error("attachment file missing", extra={"storage_key": attachment.storage_key})
            raise Http404 from exc
        response = FileResponse(
            content,
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        # Even if a browser renders it, the file runs no script and loads nothing.
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response
