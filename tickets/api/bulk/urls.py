"""Routes of the bulk area (mounted under /api/v1/t/<tenant_slug>/)."""

from django.urls import path, re_path

from tickets.api.bulk import views

urlpatterns = [
    path("tickets/bulk/", views.TicketBulkApi.as_view(), name="ticket-bulk"),
    re_path(
        r"^tickets/(?P<number>[0-9]{1,18})/merge/$",
        views.TicketMergeApi.as_view(),
        name="ticket-merge",
    ),
]
