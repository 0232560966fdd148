"""Celery plumbing for tenancy: every task runs for exactly one tenant, or is allow-listed.

A TenantTask takes an explicit `tenant_id` keyword (visible in the signature, survives
retries) and runs its body inside tenant_context(); a task without one fails instead of
running unscoped (research/tenancy.md §5.4).
"""

import contextlib
import importlib
import logging
import threading
import time

from celery import Task, signals
from django.conf import settings
from django.db import transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from config.logging import request_id_var, user_id_var
from tenants.context import TenantContextMissing, tenant_context

# Every task a project app registers is a TenantTask unless it works on global control tables
# or fans out over tenants; tests/tenants/test_tasks.py holds the allow-list and enforces it.


logger = logging.getLogger(__name__)

_LOG_CONTEXT = ((request_id_var, "request_id"), (user_id_var, "user_id"))


class TenantTask(Task):
    """Base for tasks that touch tenant data: `tenant_id` kwarg required, body in context.

    `atomic = False` (a task option) runs the body outside any transaction: the body opens
    tenant_context() itself around each step, for tasks that must commit between steps and
    do I/O outside a transaction (outbox deliveries: claim, send, record)."""

    atomic = True

    def _header(self, name: str):
        # A worker exposes custom message headers as request attributes; apply() keeps them
        # under request.headers.
        return getattr(self.request, name, None) or (self.request.headers or {}).get(name)

    def __call__(self, *args, **kwargs):
        tenant_id = kwargs.get("tenant_id")
        if tenant_id is None:
            raise TenantContextMissing(f"{self.name} called without tenant_id")
        # Log context of the request that enqueued the task (message headers; in eager mode
        # the caller's context is already set).
        tokens = [
            (var, var.set(value)) for var, header in _LOG_CONTEXT if (value := self._header(header))
        ]
        try:
            if not self.atomic:
                int(tenant_id)  # refuse a malformed id before the body runs
                return super().__call__(*args, **kwargs)
            with tenant_context(int(tenant_id)):
                return super().__call__(*args, **kwargs)
        finally:
            for var, token in reversed(tokens):
                var.reset(token)


@signals.before_task_publish.connect
def _propagate_log_context(headers=None, **kwargs):
    """Carry the publishing request's id and user into the task message (log correlation)."""
    if headers is None:
        return
    for var, header in _LOG_CONTEXT:
        value = var.get()
        if value and header not in headers:
            headers[header] = value


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


def enqueue_on_commit(task_name: str, *, robust: bool = False, **kwargs) -> None:
    """Send the registered task `task_name` with `kwargs` once the current transaction
    commits (nothing if it rolls back).

    By name, so a service never imports the tasks module that imports it back: the service
    and its task stay one-way. `robust`: a failed enqueue is logged instead of raised (the
    change is committed whatever the broker says; a sweep or a retry picks it up), and for
    BROKER_RETRY_AFTER_SECONDS afterwards this process does not try robust enqueues at all, so
    a request with many side effects does not wait on a dead broker once per effect.
    """
    transaction.on_commit(lambda: _send(task_name, kwargs, robust=robust))


class _BrokerBreaker:
    """Per process: after a failed robust enqueue, skip robust enqueues for a while."""

    open_until = 0.0

    @classmethod
    def is_open(cls) -> bool:
        return time.monotonic() < cls.open_until

    @classmethod
    def trip(cls) -> None:
        cls.open_until = time.monotonic() + settings.BROKER_RETRY_AFTER_SECONDS

    @classmethod
    def reset(cls) -> None:
        cls.open_until = 0.0


# What a publish raises when the broker is unreachable (kombu wraps most of them).
BROKER_ERRORS = (KombuError, RedisError, OSError)


def _send(task_name: str, kwargs: dict, *, robust: bool) -> None:
    if not robust:
        task_by_name(task_name).delay(**kwargs)
        return
    if _BrokerBreaker.is_open():
        logger.warning("task.enqueue_skipped", extra={"task": task_name, "reason": "broker down"})
        return
    try:
        task_by_name(task_name).delay(**kwargs)
    except BROKER_ERRORS:
        _BrokerBreaker.trip()
        logger.warning("task.enqueue_failed", extra={"task": task_name}, exc_info=True)


_import_lock = threading.Lock()


def task_by_name(task_name: str):
    """The registered task `task_name`. A web process has not imported every app's tasks
    module (a worker has): import the task's module when the name is still unknown — under a
    lock, so a second thread asking meanwhile waits for the module instead of finding a
    half-registered app (then Celery's autodiscovery, for a task named apart from its
    module)."""
    from celery import current_app

    tasks = current_app.tasks
    if task_name not in tasks:
        with _import_lock:
            if task_name not in tasks:
                module = task_name.rpartition(".")[0]
                with contextlib.suppress(ImportError):
                    importlib.import_module(module)
            if task_name not in tasks:
                current_app.loader.import_default_modules()
    return tasks[task_name]
