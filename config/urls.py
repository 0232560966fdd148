from django.contrib.auth.views import LoginView, LogoutView
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health
from config.api.root import ApiRootApi, RootApi, api_not_found
from tenants.admin_site import admin_site
from tenants.forms import QuotaAuthenticationForm

# Each app contributes its tenant routes to one mount point: /api/v1/t/<tenant_slug>/…
tenant_routes = [
    path("", include("tenants.api.urls_tenant")),
    path("", include("tickets.api.urls_tenant")),
    path("", include("notifications.api.urls_tenant")),
    path("", include("notifications.api.urls_inbound")),
    path("", include("integrations.api.urls")),
    path("", include("knowledge_base.api.urls")),
]

# The browsable API's session login (DRF's rest_framework.urls, with login quotas).
browsable_api_auth = [
    path(
        "login/",
        LoginView.as_view(
            template_name="rest_framework/login.html",
            authentication_form=QuotaAuthenticationForm,
        ),
        name="login",
    ),
    path("logout/", LogoutView.as_view(), name="logout"),
]

urlpatterns = [
    path("", RootApi.as_view(), name="root"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", ApiRootApi.as_view(), name="api-root"),
    path("api/v1/", include("tenants.api.urls")),
    path("api/v1/t/<slug:tenant_slug>/", include(tenant_routes)),
    # The public help center (no authentication).
    path("api/v1/help/<slug:tenant_slug>/", include("knowledge_base.api.help_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api-auth/", include((browsable_api_auth, "rest_framework"))),
    path("admin/", admin_site.urls),
    # django-anymail's webhooks: providers' tracking events (notifications/tracking.py) and
    # inbound email (notifications/inbound/esp.py); each view checks the provider's signature.
    path("anymail/", include("anymail.urls")),
    # Last: whatever else is asked for under /api/ is a JSON 404.
    re_path(r"^api/", api_not_found),
]

handler400 = "config.health.bad_request"
handler403 = "config.health.permission_denied"
handler404 = "config.health.not_found"
handler500 = "config.health.server_error"
