from django.urls import include, path

from tenants.api import views

auth_urlpatterns = [
    path("register/", views.RegisterApi.as_view(), name="auth-register"),
    path("token/", views.TokenApi.as_view(), name="auth-token"),
    path("logout/", views.LogoutApi.as_view(), name="auth-logout"),
    path("me/", views.MeApi.as_view(), name="auth-me"),
    path("invitations/accept/", views.InvitationAcceptApi.as_view(), name="invitation-accept"),
]

urlpatterns = [
    path("auth/", include(auth_urlpatterns)),
    path("t/", views.TenantListCreateApi.as_view(), name="tenant-list"),
]
