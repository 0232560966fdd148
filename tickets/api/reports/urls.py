"""Routes of the reports (mounted under /api/v1/t/<tenant_slug>/): reports/summary/."""

from django.urls import path

from tickets.api.reports import views

urlpatterns = [
    path("reports/summary/", views.ReportSummaryApi.as_view(), name="report-summary"),
]
