from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from anymail.signals import tracking

        from notifications import subscribers
        from notifications.tracking import tracking_received

        subscribers.connect()
        tracking.connect(tracking_received, dispatch_uid="notifications.tracking")
