from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _grant_runtime_role(sender, using, **kwargs):
    from tenants.db import grant_runtime_role

    grant_runtime_role(using=using)


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants, users and access"

    def ready(self):
        from config.logging import install_record_factory
        from tenants.context import current_tenant_id

        install_record_factory(tenant_id=current_tenant_id)
        from django.db.backends.signals import connection_created

        from config.dbtypes import fast_timestamptz_loader

        connection_created.connect(
            fast_timestamptz_loader, dispatch_uid="config.dbtypes.fast_timestamptz_loader"
        )
        # Sent once for this app, after every migration of the run has been applied.
        post_migrate.connect(
            _grant_runtime_role, sender=self, dispatch_uid="tenants.grant_runtime_role"
        )
        from tenants import (
            checks,  # noqa: F401  (registers the delivery timing checks)
            domain_events,  # noqa: F401  (registers the event contracts)
            tasks_base,  # noqa: F401  (registers the Celery signal handlers)
        )
