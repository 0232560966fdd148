"""Routes of the notifications app: the member's own in-app notifications and preferences,
and the tenant's email delivery log (supervisors)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.pagination import CursorPagination
from config.errors import PermissionDeniedError
from notifications import selectors, services
from notifications.api import serializers as s
from notifications.api.filters import EmailDeliveryFilter, NotificationFilter
from notifications.models import EmailDelivery, Notification
from tenants.api.base import TenantAPIView, TenantViewSet


class NoInboxError(PermissionDeniedError):
    code = "no_inbox"


def _inbox_user(view):
    """The person whose notifications these are; an API key has none."""
    user = view.actor.user
    if user is None:
        raise NoInboxError("API keys have no notifications: use a member's token.")
    return user


class UnreadFirstPagination(CursorPagination):
    ordering = ("-position", "-id")


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Your in-app notifications in this tenant: unread first, then newest first."""

    selector = staticmethod(selectors.notification_list)
    model = Notification
    filterset_class = NotificationFilter
    pagination_class = UnreadFirstPagination
    serializer_class = s.NotificationOutputSerializer
    permission_map = {
        "list": "notification.read",
        "retrieve": "notification.read",
        "read": "notification.read",
        "read_all": "notification.read",
        "unread_count": "notification.read",
    }

    def filter_queryset(self, queryset):
        # Only ever the caller's own: another member's notification is a 404 like a missing one.
        return super().filter_queryset(queryset.filter(user=_inbox_user(self)))

    @extend_schema(request=None, responses={200: s.NotificationOutputSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, id=None):
        notification = services.notification_mark_read(
            tenant=request.tenant, notification=self.get_object()
        )
        return Response(s.NotificationOutputSerializer(notification).data)

    @extend_schema(request=None, responses={200: s.MarkedSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        marked = services.notifications_mark_all_read(tenant=request.tenant, user=_inbox_user(self))
        return Response({"marked": marked})

    @extend_schema(responses={200: s.UnreadCountSerializer})
    @action(detail=False, methods=["get"], url_path="unread-count", filter_backends=[])
    def unread_count(self, request):
        count = selectors.notification_unread_count(tenant=request.tenant, user=_inbox_user(self))
        return Response({"unread": count})


class NotificationPreferencesApi(TenantAPIView):
    """Your notification choices in this tenant, per kind and channel (email, in_app).
    Everything is on until you switch it off; PATCH only what you change."""

    name = "Notification preferences"
    permission_map = {"get": "notification.read", "patch": "notification.read"}
    serializer_class = s.NotificationPreferencesSerializer

    @extend_schema(responses={200: s.NotificationPreferencesSerializer})
    def get(self, request):
        return Response(selectors.preferences_get(tenant=request.tenant, user=_inbox_user(self)))

    @extend_schema(
        request=s.NotificationPreferencesSerializer,
        responses={200: s.NotificationPreferencesSerializer},
    )
    def patch(self, request):
        user = _inbox_user(self)
        choices = services.preferences_update(
            tenant=request.tenant, user=user, changes=request.data
        )
        return Response(choices)


class EmailDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Every email this tenant sent or tried to send: status, attempts, last error, the
    provider that took it. Failed, dead and suppressed ones can be sent again."""

    selector = staticmethod(selectors.email_delivery_list)
    model = EmailDelivery
    filterset_class = EmailDeliveryFilter
    serializer_class = s.EmailDeliveryOutputSerializer
    permission_map = {
        "list": "notification.deliveries",
        "retrieve": "notification.deliveries",
        "redeliver": "notification.deliveries",
    }

    @extend_schema(request=None, responses={202: s.EmailDeliveryOutputSerializer})
    @action(detail=True, methods=["post"])
    def redeliver(self, request, id=None):
        delivery = services.email_delivery_redeliver(
            tenant=request.tenant, actor=self.actor, delivery=self.get_object()
        )
        return Response(
            s.EmailDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )
