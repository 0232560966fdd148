from django.urls import include, path

from tenants.api import views

auth_urlpatterns = [
    path("register/", views.RegisterApi.as_view(), name="auth-register"),
    path("verify-email/", views.EmailVerifyApi.as_view(), name="auth-verify-email"),
    path("token/", views.TokenApi.as_view(), name="auth-token"),
    path("logout/", views.LogoutApi.as_view(), name="auth-logout"),
    path("logout-all/", views.LogoutAllApi.as_view(), name="auth-logout-all"),
    path("password/", views.PasswordChangeApi.as_view(), name="auth-password"),
    path("password-reset/", views.PasswordResetApi.as_view(), name="auth-password-reset"),
    path(
        "password-reset/confirm/",
        views.PasswordResetConfirmApi.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("me/", views.MeApi.as_view(), name="auth-me"),
    path("invitations/accept/", views.InvitationAcceptApi.as_view(), name="invitation-accept"),
]

urlpatterns = [
    path("auth/", include(auth_urlpatterns)),
    path("t/", views.TenantListCreateApi.as_view(), name="tenant-list"),
]
