"""The notifications app's routes under /api/v1/t/<slug>/."""

urlpatterns: list = []
