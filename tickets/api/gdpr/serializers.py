"""Output of the GDPR routes: the customer export document and the erased customer."""

from rest_framework import serializers

from config.api.serializers import InputSerializer
from tickets.api.serializers import CustomerOutputSerializer, TicketOutputSerializer


class CustomerEraseInputSerializer(InputSerializer):
    """Erase takes no input; any key is a 400 (never silently ignored)."""


class CustomerGdprOutputSerializer(CustomerOutputSerializer):
    erased_at = serializers.DateTimeField(allow_null=True)


class ExportCommentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    ticket = serializers.IntegerField(source="ticket.number")
    author_type = serializers.SerializerMethodField()
    public = serializers.BooleanField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_author_type(self, obj) -> str:
        return self.context["comment_authors"][obj.pk]


class ExportAttachmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    ticket = serializers.IntegerField(source="ticket.number")
    comment = serializers.UUIDField(source="comment.public_id", default=None, allow_null=True)
    uploaded_by_type = serializers.SerializerMethodField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_uploaded_by_type(self, obj) -> str:
        return self.context["attachment_uploaders"][obj.pk]


class CustomerExportOutputSerializer(serializers.Serializer):
    exported_at = serializers.DateTimeField()
    customer = CustomerGdprOutputSerializer()
    tickets = TicketOutputSerializer(many=True)
    comments = ExportCommentSerializer(many=True)
    attachments = ExportAttachmentSerializer(many=True)
