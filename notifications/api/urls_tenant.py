"""The notifications app's routes under /api/v1/t/<slug>/.

notifications/ (mine), notifications/<id>/, notifications/<id>/read/, notifications/read-all/,
notifications/unread-count/, notification-preferences/, notifications/deliveries/ (+ <id>/,
<id>/redeliver/: supervisors).
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from notifications.api import views

router = SimpleRouter()
# Before notifications/: "deliveries" must not be read as a notification's id.
router.register("notifications/deliveries", views.EmailDeliveryViewSet, basename="email-delivery")
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = [
    path(
        "notification-preferences/",
        views.NotificationPreferencesApi.as_view(),
        name="notification-preferences",
    ),
    path("", include(router.urls)),
]
