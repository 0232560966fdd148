"""Routes of the attachments area (mounted under /api/v1/t/<tenant_slug>/).

tickets/<number>/attachments/ (list, upload), …/<id>/ (metadata, delete), …/<id>/download/.
"""

from rest_framework.routers import SimpleRouter

from tickets.api.attachments.views import TicketAttachmentViewSet

router = SimpleRouter()
router.register(
    r"tickets/(?P<number>[0-9]{1,18})/attachments",
    TicketAttachmentViewSet,
    basename="ticket-attachment",
)

urlpatterns = router.urls
