"""The tenants app's views, one module per area; the URL configurations import them from here."""

from tenants.api.views.accounts import (
    EmailVerifyApi,
    LogoutAllApi,
    LogoutApi,
    MeApi,
    PasswordChangeApi,
    PasswordResetApi,
    PasswordResetConfirmApi,
    RegisterApi,
    TokenApi,
)
from tenants.api.views.api_keys import ApiKeyViewSet
from tenants.api.views.audit import AuditLogViewSet
from tenants.api.views.event_types import EventTypeListApi
from tenants.api.views.invitations import InvitationAcceptApi, InvitationViewSet
from tenants.api.views.members import MemberViewSet
from tenants.api.views.tenants import TenantDetailApi, TenantListCreateApi

__all__ = [
    "ApiKeyViewSet",
    "AuditLogViewSet",
    "EmailVerifyApi",
    "EventTypeListApi",
    "InvitationAcceptApi",
    "InvitationViewSet",
    "LogoutAllApi",
    "LogoutApi",
    "MeApi",
    "MemberViewSet",
    "PasswordChangeApi",
    "PasswordResetApi",
    "PasswordResetConfirmApi",
    "RegisterApi",
    "TenantDetailApi",
    "TenantListCreateApi",
    "TokenApi",
]
