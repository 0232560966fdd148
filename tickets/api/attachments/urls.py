"""Routes of the attachments area (mounted under /api/v1/t/<tenant_slug>/)."""

urlpatterns: list = []
