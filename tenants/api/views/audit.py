"""A tenant's audit log (/api/v1/t/<slug>/audit-log/)."""

from rest_framework import mixins

from tenants import selectors
from tenants.api import serializers as s
from tenants.api.base import TenantViewSet
from tenants.api.filters import AuditLogFilter
from tenants.models import AuditLogEntry


class AuditLogViewSet(mixins.ListModelMixin, TenantViewSet):
    selector = staticmethod(selectors.audit_log_list)
    model = AuditLogEntry
    filterset_class = AuditLogFilter
    serializer_class = s.AuditLogOutputSerializer
    permission_map = {"list": "audit.read"}
