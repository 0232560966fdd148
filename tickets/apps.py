from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        # Registers the signal that removes attachment files once their rows are deleted
        # (whatever deletes them: API, admin, worker, management command).
        # Tenants may choose only the automatic assignment strategies this app can run.
        # Export jobs whose message was lost are re-sent by the outbox's tenant sweep.
        from tenants.models import assignment_strategy_register
        from tenants.outbox import outbox_sweep_hook
        from tickets import events, storage  # noqa: F401  (events: registers the contracts)
        from tickets.services import ASSIGNMENT_STRATEGIES
        from tickets.services.exports import export_jobs_requeue

        for name in ASSIGNMENT_STRATEGIES:
            assignment_strategy_register(name)
        outbox_sweep_hook(export_jobs_requeue)
