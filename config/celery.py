"""Celery app. Every beat schedule lives here, with its crontab in a comment."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("tenantdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # 17 3 * * *  — drop expired user tokens (global control table)
    "auth-token-purge-expired": {
        "task": "tenants.tasks.auth_token_purge_expired_task",
        "schedule": crontab(minute=17, hour=3),
    },
    # 5 4 * * *  — delete export CSVs past EXPORT_RETENTION_DAYS (fan-out per tenant)
    "export-files-expire": {
        "task": "tickets.tasks.export_files_expire_task",
        "schedule": crontab(minute=5, hour=4),
    },
    # * * * * *  — re-send outbox rows due again or left by a dead worker, and export jobs
    # whose message was lost (platform rows here, then fan-out per active tenant)
    "outbox-sweep": {
        "task": "tenants.tasks.outbox_sweep_task",
        "schedule": crontab(minute="*"),
    },
    # * * * * *  — SLA breaches and escalations (fan-out per active tenant)
    "sla-sweep": {
        "task": "tickets.tasks.sla_sweep_task",
        "schedule": crontab(minute="*"),
    },
    # 23 4 * * *  — delete finished outbox rows past retention (platform, then per tenant)
    "outbox-purge": {
        "task": "tenants.tasks.outbox_purge_task",
        "schedule": crontab(minute=23, hour=4),
    },
    # 41 * * * *  — drop idempotency records past their TTL (fan-out per tenant)
    "idempotency-purge": {
        "task": "tenants.tasks.idempotency_purge_task",
        "schedule": crontab(minute=41),
    },
}
