from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self):
        from integrations.webhooks.fanout import webhook_fanout
        from tenants import events

        events.subscribe_all(webhook_fanout)
