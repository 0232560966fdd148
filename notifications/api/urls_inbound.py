"""Inbound email routes under /api/v1/t/<slug>/ (the raw-MIME endpoint and its secret)."""

from django.urls import path

from notifications.api import inbound

urlpatterns = [
    path("inbound-email/", inbound.InboundEmailApi.as_view(), name="inbound-email"),
    path(
        "inbound-email/secret/",
        inbound.InboundSecretApi.as_view(),
        name="inbound-email-secret",
    ),
]
