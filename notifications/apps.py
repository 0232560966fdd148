from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from anymail.signals import inbound, tracking

        from notifications import subscribers
        from notifications.inbound.esp import inbound_email_received
        from notifications.tracking import tracking_received

        subscribers.connect()
        # What ESPs post to anymail's webhooks: tracking events (/anymail/<esp>/tracking/) and
        # inbound messages (/anymail/<esp>/inbound/).
        tracking.connect(tracking_received, dispatch_uid="notifications.tracking")
        inbound.connect(inbound_email_received, dispatch_uid="notifications.inbound_email")
