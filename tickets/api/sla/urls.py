"""Routes of the SLA settings area (mounted under /api/v1/t/<tenant_slug>/).

sla-policies/ (list, add a tier override), sla-policies/<id>/ (read, change, delete an
override), business-hours/ (read, replace, change), business-hours/import-holidays/.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from tickets.api.sla import views

router = SimpleRouter()
router.register("sla-policies", views.SlaPolicyViewSet, basename="sla-policy")

urlpatterns = [
    *router.urls,
    path("business-hours/", views.BusinessHoursApi.as_view(), name="business-hours"),
    path(
        "business-hours/import-holidays/",
        views.BusinessHoursHolidayImportApi.as_view(),
        name="business-hours-import-holidays",
    ),
]
