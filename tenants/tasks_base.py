"""Celery plumbing for tenancy: every task runs for exactly one tenant, or is allow-listed.

A TenantTask takes an explicit `tenant_id` keyword (visible in the signature, survives
retries) and runs its body inside tenant_context(); a task without one fails instead of
running unscoped (research/tenancy.md §5.4).
"""

from celery import Task, signals

from config.logging import request_id_var
from tenants.context import TenantContextMissing, tenant_context

# Tasks that legitimately span tenants (beat fan-out, global control tables). Anything else a
# project app registers must be a TenantTask; tests/tenants/test_tasks.py enforces it.
GLOBAL_TASKS = frozenset({"tenants.tasks.auth_token_purge_expired_task"})


class TenantTask(Task):
    """Base for tasks that touch tenant data: `tenant_id` kwarg required, body in context."""

    def __call__(self, *args, **kwargs):
        tenant_id = kwargs.get("tenant_id")
        if tenant_id is None:
            raise TenantContextMissing(f"{self.name} called without tenant_id")
        request_id = getattr(self.request, "request_id", None)
        token = request_id_var.set(request_id) if request_id else None
        try:
            with tenant_context(int(tenant_id)):
                return super().__call__(*args, **kwargs)
        finally:
            if token is not None:
                request_id_var.reset(token)


@signals.before_task_publish.connect
def _propagate_request_id(headers=None, **kwargs):
    """Carry the publishing request's id into the task message, for log correlation."""
    request_id = request_id_var.get()
    if headers is not None and request_id and "request_id" not in headers:
        headers["request_id"] = request_id


@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_stale_connections(task=None, **kwargs):
    """Apply Django's connection lifecycle to tasks (drop dead or over-age connections)."""
    from django.db import close_old_connections

    # An eager task runs inside its caller (a request, a test's transaction): closing "its"
    # connection would close the caller's, mid-transaction.
    if task is not None and task.request.is_eager:
        return
    close_old_connections()
