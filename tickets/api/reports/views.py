from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from tenants.api.base import TenantAPIView
from tickets import reports
from tickets.api.reports import serializers as s


class ReportSummaryApi(TenantAPIView):
    """`reports/summary/?from=&to=&group_by=`: created, resolved, backlog, first-response and
    resolution times (median, p90, business minutes), SLA attainment, reopen rate and agents'
    load over a window (definitions: tickets/reports.py)."""

    name = "Report summary"
    required_permission = "report.read"

    @extend_schema(
        description=(
            "Ticket figures over the window [from, to), in total, per group (`group_by`: day "
            "or week in the tenant's timezone, agent, priority, channel) and SLA attainment "
            "per priority, with each assignee's load. Times are business minutes as the SLA "
            "clock counts them (wall-clock without business hours). Supervisor+."
        ),
        parameters=[s.ReportSummaryInputSerializer],
        responses={200: s.ReportSummaryOutputSerializer},
    )
    def get(self, request):
        params = s.ReportSummaryInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        start, end = reports.report_window(
            tenant=request.tenant,
            start=params.validated_data.get("from"),
            end=params.validated_data.get("to"),
            now=timezone.now(),
        )
        report = reports.report_summary(
            tenant=request.tenant,
            start=start,
            end=end,
            group_by=params.validated_data.get("group_by"),
        )
        return Response(s.ReportSummaryOutputSerializer(report).data)
