"""System checks of the delivery timings (run by every manage.py command and at startup):
values from the environment must keep the outbox's guarantees, not only the defaults."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility)
def outbox_timings_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A lease shorter than a delivery may run lets a second worker send the same row while
    the first still works; a Redis visibility timeout shorter than a task re-runs it."""
    errors = []
    lease, task_limit = settings.OUTBOX_LEASE_SECONDS, settings.OUTBOX_TASK_TIME_LIMIT
    if lease <= task_limit:
        errors.append(
            checks.Error(
                f"OUTBOX_LEASE_SECONDS ({lease}) must be longer than a delivery task's hard "
                f"time limit ({task_limit} s), or a live worker's row can be taken over.",
                id="tenantdesk.E001",
            )
        )
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    longest = max(settings.CELERY_TASK_TIME_LIMIT, lease)
    if visibility < longest:
        errors.append(
            checks.Error(
                f"CELERY_VISIBILITY_TIMEOUT ({visibility}) must be at least the longest task "
                f"time limit or outbox lease ({longest} s), or Redis re-delivers running tasks.",
                id="tenantdesk.E002",
            )
        )
    return errors
