from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from anymail.signals import inbound

        from notifications import subscribers
        from notifications.inbound.esp import inbound_email_received

        subscribers.connect()
        # Messages that ESPs post to anymail's inbound webhooks (/anymail/<esp>/inbound/).
        inbound.connect(inbound_email_received, dispatch_uid="notifications.inbound_email")
