"""Routes of the gdpr area (mounted under /api/v1/t/<tenant_slug>/)."""

from django.urls import re_path

from tickets.api.gdpr import views

_CUSTOMER = r"^customers/(?P<id>[0-9a-fA-F-]{36})/"

urlpatterns = [
    re_path(_CUSTOMER + r"export/$", views.CustomerExportApi.as_view(), name="customer-export"),
    re_path(_CUSTOMER + r"erase/$", views.CustomerEraseApi.as_view(), name="customer-erase"),
]
