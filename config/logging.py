"""Request-scoped log context: every log record carries request_id, tenant_id and user_id.

The values live in ContextVars (safe across threads and async); a LogRecord factory copies them
onto every record, so any handler or formatter — and pytest's caplog — sees them.
"""

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)

_base_factory = logging.getLogRecordFactory()


def _record_factory(*args, **kwargs) -> logging.LogRecord:
    from tenants.context import current_tenant_id

    record = _base_factory(*args, **kwargs)
    record.request_id = request_id_var.get()
    record.tenant_id = current_tenant_id()
    record.user_id = user_id_var.get()
    return record


def install_record_factory() -> None:
    """Install the context-carrying LogRecord factory (idempotent)."""
    if logging.getLogRecordFactory() is not _record_factory:
        logging.setLogRecordFactory(_record_factory)
