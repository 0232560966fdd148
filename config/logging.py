"""Request-scoped log context: every log record carries request_id, tenant_id and user_id.

The values live in ContextVars (safe across threads and async); a LogRecord factory copies them
onto every record, so any handler or formatter — and pytest's caplog — sees them.
"""

import logging
from collections.abc import Callable
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)
# The tenant a request acts for, once it is known (set by the tenant views, the admin and the
# public routes; the middleware clears it per request): lines logged after the tenant context
# has closed — the access line, an unhandled error — still carry the tenant.
request_tenant_id_var: ContextVar[int | None] = ContextVar("request_tenant_id", default=None)

_base_factory = logging.getLogRecordFactory()
# Where the active tenant comes from; the tenants app installs it (config imports no app).
_tenant_id: Callable[[], int | None] = lambda: None  # noqa: E731


def _record_factory(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id_var.get()
    tenant_id = _tenant_id()
    record.tenant_id = tenant_id if tenant_id is not None else request_tenant_id_var.get()
    record.user_id = user_id_var.get()
    return record


def install_record_factory(*, tenant_id: Callable[[], int | None]) -> None:
    """Install the context-carrying LogRecord factory (idempotent); `tenant_id` returns the
    active tenant's id."""
    global _tenant_id
    _tenant_id = tenant_id
    if logging.getLogRecordFactory() is not _record_factory:
        logging.setLogRecordFactory(_record_factory)
