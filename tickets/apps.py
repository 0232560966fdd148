from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        # Registers the signal that removes attachment files once their rows are deleted
        # (whatever deletes them: API, admin, worker, management command).
        # Tenants may choose only the automatic assignment strategies this app can run.
        from tenants.models import assignment_strategy_register
        from tickets import events, storage  # noqa: F401  (events: registers the contracts)
        from tickets.services import ASSIGNMENT_STRATEGIES

        for name in ASSIGNMENT_STRATEGIES:
            assignment_strategy_register(name)
