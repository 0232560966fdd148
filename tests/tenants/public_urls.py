"""A URL configuration for the tests of the public tenant base: no public route exists yet
(the help center will be the first), so these probe views stand in for one."""

from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import include, path
from rest_framework import status
from rest_framework.response import Response

from tenants.api.base import PublicTenantAPIView
from tenants.models import AuditLogEntry
from tenants.services import audit_log_record


class AuditTrailProbeApi(PublicTenantAPIView):
    def get(self, request):
        # The unscoped manager on purpose: only row-level security keeps other tenants out.
        actions = sorted(AuditLogEntry.unscoped.values_list("action", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('app.tenant_id', true)")
            (tenant_setting,) = cursor.fetchone()
        return Response(
            {
                "tenant": request.tenant.slug,
                "tenant_setting": tenant_setting,
                "actions": actions,
                "authenticated": request.user.is_authenticated,
            }
        )

    def post(self, request):  # a handler exists, yet POST is not an allowed method here
        audit_log_record(
            tenant=request.tenant,
            actor=self.actor,
            action="probe.posted",
            target_type="probe",
            target_id="1",
        )
        return Response(status=status.HTTP_201_CREATED)


class WritableProbeApi(PublicTenantAPIView):
    http_method_names = [*PublicTenantAPIView.http_method_names, "post"]

    def post(self, request):
        audit_log_record(
            tenant=request.tenant,
            actor=self.actor,
            action=request.data.get("action", "probe.written"),
            target_type="probe",
            target_id="1",
        )
        if request.data.get("fail"):
            raise ValidationError({"fail": "Asked to fail after writing."})
        return Response(status=status.HTTP_201_CREATED)


urlpatterns = [
    path(
        "help/<slug:tenant_slug>/",
        include(
            [
                path("probe/", AuditTrailProbeApi.as_view(), name="public-probe"),
                path("writable/", WritableProbeApi.as_view(), name="public-writable"),
            ]
        ),
    ),
]
