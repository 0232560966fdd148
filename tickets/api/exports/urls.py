"""Routes of the exports area (mounted under /api/v1/t/<tenant_slug>/).

exports/ (list, request), exports/<id>/ (status), exports/<id>/download/ (the CSV).
"""

from rest_framework.routers import SimpleRouter

from tickets.api.exports.views import ExportJobViewSet

router = SimpleRouter()
router.register("exports", ExportJobViewSet, basename="export")

urlpatterns = router.urls
