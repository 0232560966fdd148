from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self):
        from integrations import checks  # noqa: F401 (registers the deploy checks)
        from integrations.crm_sync import crm_customer_changed, crm_customer_erased
        from integrations.webhooks.fanout import webhook_fanout
        from tenants import events
        from tickets.events import CustomerCreated, CustomerErased, CustomerUpdated

        events.subscribe_all(webhook_fanout)
        events.subscribe(CustomerCreated)(crm_customer_changed)
        events.subscribe(CustomerUpdated)(crm_customer_changed)
        events.subscribe(CustomerErased)(crm_customer_erased)
