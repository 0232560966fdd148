"""Tenant routes of the tickets app (mounted under /api/v1/t/<tenant_slug>/)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tickets.api import views

router = SimpleRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("tickets", views.TicketViewSet, basename="ticket")

urlpatterns = [
    path("", include(router.urls)),
    path("", include("tickets.api.attachments.urls")),
    path("", include("tickets.api.bulk.urls")),  # tickets/bulk/, tickets/<number>/merge/
    path("", include("tickets.api.exports.urls")),
    path("", include("tickets.api.gdpr.urls")),  # customers/<id>/export/, …/erase/
    path("", include("tickets.api.reports.urls")),  # reports/summary/
    path("", include("tickets.api.sla.urls")),  # sla-policies/, business-hours/
]
