from django.urls import reverse
from rest_framework import serializers

from config.api.serializers import InputSerializer
from tenants.api.fields import TenantScopedRelatedField
from tenants.api.serializers import PersonSerializer
from tickets.models import Comment


def _comments(tenant_id):
    return Comment.objects.all()


class AttachmentUploadInputSerializer(InputSerializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    # The comment must be one of this ticket's; the service checks the ticket, the field the
    # tenant.
    comment = TenantScopedRelatedField(queryset_fn=_comments, required=False, allow_null=True)


class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    comment = serializers.UUIDField(source="comment.public_id", default=None, allow_null=True)
    uploaded_by = serializers.UUIDField(
        source="uploaded_by.public_id", default=None, allow_null=True
    )
    uploader = PersonSerializer(
        source="uploaded_by", allow_null=True, help_text="Who uploaded it, readably."
    )
    created_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, obj) -> str:
        return reverse(
            "ticket-attachment-download",
            kwargs={
                "tenant_slug": self.context["tenant_slug"],
                "number": obj.ticket.number,
                "id": obj.public_id,
            },
        )
