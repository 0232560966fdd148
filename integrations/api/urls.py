"""Routes of the webhooks API (mounted under /api/v1/t/<tenant_slug>/).

webhooks/ (list, add), webhooks/<id>/ (read, change, delete), webhooks/<id>/rotate-secret/,
webhooks/<id>/ping/, webhooks/<id>/deliveries/, webhook-deliveries/<id>/ (+ redeliver/).
"""

from rest_framework.routers import SimpleRouter

from integrations.api import views

router = SimpleRouter()
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")
router.register("webhook-deliveries", views.WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
