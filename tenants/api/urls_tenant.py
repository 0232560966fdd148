"""Tenant routes of the tenants app (mounted under /api/v1/t/<tenant_slug>/).

The isolation and permission matrices enumerate every URL pattern under that mount point.
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tenants.api import views

router = SimpleRouter()
router.register("members", views.MemberViewSet, basename="member")
router.register("invitations", views.InvitationViewSet, basename="invitation")
router.register("api-keys", views.ApiKeyViewSet, basename="api-key")
router.register("audit-log", views.AuditLogViewSet, basename="audit-log")

urlpatterns = [
    path("", views.TenantDetailApi.as_view(), name="tenant-detail"),
    path("event-types/", views.EventTypeListApi.as_view(), name="event-type-list"),
    path("", include(router.urls)),
]
