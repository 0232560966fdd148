"""Routes of the integrations API (mounted under /api/v1/t/<tenant_slug>/).

webhooks/ (list, add), webhooks/<id>/ (read, change, delete), webhooks/<id>/rotate-secret/,
webhooks/<id>/ping/, webhooks/<id>/deliveries/, webhook-deliveries/<id>/ (+ redeliver/);
crm-connections/ (list, add), crm-connections/<id>/ (read, change, delete),
crm-connections/<id>/syncs/, crm-syncs/<id>/redeliver/.
"""

from rest_framework.routers import SimpleRouter

from integrations.api import views

router = SimpleRouter()
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")
router.register("webhook-deliveries", views.WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("crm-connections", views.CrmConnectionViewSet, basename="crm-connection")
router.register("crm-syncs", views.CrmSyncViewSet, basename="crm-sync")

urlpatterns = router.urls
