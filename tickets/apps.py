from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        # Registers the signal that removes attachment files once their rows are deleted
        # (whatever deletes them: API, admin, worker, management command).
        from tickets import storage  # noqa: F401
