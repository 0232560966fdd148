"""The outbox: every side effect is a row written in the transaction of the change that caused
it, and delivered after the commit — at least once, however Redis or a worker fails.

    change + outbox row ── COMMIT ──► on_commit: send the row's task (fast path; a failed
                                       enqueue is logged, the sweep covers it)
    task: claim the row (FOR UPDATE SKIP LOCKED, status sending, a lease) ── COMMIT
          prepare (render, re-check recipients; inside the tenant) ── in the claim's transaction
          send (the I/O, outside any transaction)
          record the outcome (sent, a retry at next_attempt_at, failed, dead, suppressed)
    beat sweep (per tenant, every minute): re-send the task of rows due again or whose lease
          expired (the broker lost the message, a worker died mid-send).

Transient failures are retried with exponential backoff and jitter (or the table's own
schedule), a bounded number of times, then the row is `dead` with its last error — visible,
never silently dropped. A refusal (`PermanentError`) is `failed` at once; `Skip` marks a row
`suppressed` with its reason. Delivery is at least once: a worker that dies after the I/O and
before recording it leaves the row to be sent again, so receivers dedupe on the row's key (the
event id). The lease is longer than the task's hard time limit, so a live worker never loses
its row to another while it works; the record step is fenced by the attempt number anyway.

The tables are the subclasses of `OutboxRow` (tenants.models.outbox); each names the task that
delivers one of its rows in `outbox_task`, and that task calls `outbox_deliver`.
"""

import logging
import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tenants.context import tenant_context
from tenants.models.outbox import FINAL_STATUSES, OutboxRow, OutboxStatus, TenantOutboxRow
from tenants.tasks_base import enqueue_on_commit

logger = logging.getLogger(__name__)

Row = TypeVar("Row", bound=OutboxRow)

# What one attempt may end with, besides returning normally (sent).


class DeliveryError(Exception):
    """Base of the outcomes a delivery reports by raising."""


class TransientError(DeliveryError):
    """Try again later (a timeout, a 5xx, a provider down). `retry_after`: seconds the other
    side asked us to wait, honoured when longer than the backoff."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Trying again cannot help (a recipient refused, a 4xx): the row is `failed`."""


class Skip(DeliveryError):
    """Nothing to send, on purpose (a suppressed recipient, a ticket deleted meanwhile): the
    row is `suppressed` and its last_error says why."""


# --- Tables -----------------------------------------------------------------------------------


def outbox_models(*, tenant_owned: bool) -> list[type[OutboxRow]]:
    """The concrete outbox tables: tenant-owned ones, or the platform's (no tenant)."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, OutboxRow)
        and issubclass(model, TenantOutboxRow) == tenant_owned
        and getattr(model, "outbox_task", None)
    ]


def _task_kwargs(row: OutboxRow) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"row_id": row.pk}
    if isinstance(row, TenantOutboxRow):
        kwargs["tenant_id"] = row.tenant_id
    return kwargs


def outbox_enqueue_on_commit(row: OutboxRow) -> None:
    """Send the task that delivers `row` once the current transaction commits (the fast path).

    Robust: the change is committed whatever the broker says; a lost enqueue leaves the row
    pending and the sweep sends it."""
    enqueue_on_commit(type(row).outbox_task, robust=True, **_task_kwargs(row))


def _scope(model: type[OutboxRow], tenant_id: int | None) -> AbstractContextManager:
    if issubclass(model, TenantOutboxRow):
        return tenant_context(int(tenant_id))
    return transaction.atomic()


# --- One delivery -----------------------------------------------------------------------------


def _claimable(now: datetime) -> Q:
    # A row never tried is due at once, whatever its next_attempt_at says: that time comes
    # from the clock of the process that wrote the row, and a worker whose clock is behind
    # would otherwise find nothing due and leave the row to the sweep (a minute or two).
    due = Q(next_attempt_at__lte=now) | Q(attempts=0)
    return Q(due, status=OutboxStatus.PENDING) | Q(status=OutboxStatus.SENDING, lease_until__lt=now)


def outbox_claim(model: type[Row], *, row_id: int) -> Row | None:
    """Lock the row if it is due (pending, or its lease expired) and take it: status sending,
    one more attempt, a lease. None when another worker holds it or it is not due. Call inside
    a transaction of its own: the claim holds from its commit.

    A row whose lease expired after its last allowed attempt is `dead` instead (returned with
    that status): a message that kills its worker — out of memory, the hard time limit — is
    not tried for ever."""
    now = timezone.now()
    manager = model._default_manager
    row = manager.select_for_update(skip_locked=True).filter(_claimable(now), pk=row_id).first()
    if row is None:
        return None
    if row.status == OutboxStatus.SENDING and row.attempts >= model.outbox_max_attempts:
        row.status, row.lease_until, row.finished_at, row.updated_at = (
            OutboxStatus.DEAD,
            None,
            now,
            now,
        )
        row.last_error = (
            f"the worker delivering it stopped mid-way (killed or timed out), "
            f"{row.attempts} attempts"
        )
        row.save(update_fields=["status", "lease_until", "finished_at", "updated_at", "last_error"])
        return row
    row.status = OutboxStatus.SENDING
    row.attempts += 1
    row.lease_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    row.updated_at = now
    row.save(update_fields=["status", "attempts", "lease_until", "updated_at"])
    return row


def outbox_retry_delay(row: OutboxRow, *, retry_after: float | None = None) -> float | None:
    """Seconds until the next attempt after `row.attempts` failed ones, or None when they are
    used up. The table's schedule when it has one, else exponential backoff; equal jitter
    (half fixed, half random), so a burst of failures does not retry in lockstep."""
    model = type(row)
    if row.attempts >= model.outbox_max_attempts:
        return None
    if model.outbox_schedule is not None:
        delay = model.outbox_schedule[min(row.attempts, len(model.outbox_schedule)) - 1]
    else:
        delay = min(model.outbox_backoff_max, model.outbox_backoff_base * 2 ** (row.attempts - 1))
    delay = delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 (jitter, not a secret)
    # The other side's Retry-After is honoured up to the table's longest wait: a huge value
    # must neither overflow a datetime nor park a row out of reach for years.
    longest = max(model.outbox_schedule or (model.outbox_backoff_max,))
    return max(delay, min(retry_after or 0, longest))


def _record(row: OutboxRow, *, status: str, error: str = "", fields: dict | None = None) -> bool:
    """Write the outcome of the attempt `row` claimed; False if the row is no longer ours (a
    sweep re-claimed it after the lease expired)."""
    now = timezone.now()
    values: dict[str, Any] = {
        "status": status,
        "lease_until": None,
        "last_error": error.replace("\x00", "")[:2000],  # NUL: not storable in text
        "updated_at": now,
        **(fields or {}),
    }
    if status == OutboxStatus.PENDING:
        values["next_attempt_at"] = row.next_attempt_at
    else:
        values["finished_at"] = now
    updated = (
        type(row)
        ._default_manager.filter(pk=row.pk, status=OutboxStatus.SENDING, attempts=row.attempts)
        .update(**values)
    )
    if not updated:
        logger.warning(
            "outbox.record_lost",
            extra={"table": row._meta.label, "row": row.pk, "attempt": row.attempts},
        )
    return bool(updated)


def _outcome(row: OutboxRow, error: Exception) -> tuple[str, str]:
    """The status and error text an exception of an attempt leads to (sets next_attempt_at)."""
    if isinstance(error, Skip):
        return OutboxStatus.SUPPRESSED, str(error)
    if isinstance(error, PermanentError):
        return OutboxStatus.FAILED, str(error)
    text = str(error) if isinstance(error, DeliveryError) else f"{type(error).__name__}: {error}"
    delay = outbox_retry_delay(row, retry_after=getattr(error, "retry_after", None))
    if delay is None:
        return OutboxStatus.DEAD, text
    row.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    return OutboxStatus.PENDING, text


def outbox_deliver(
    model: type[Row],
    *,
    row_id: int,
    tenant_id: int | None = None,
    prepare: Callable[[Row], Any],
    send: Callable[[Row, Any], dict | None],
) -> str | None:
    """Deliver one outbox row: claim it (committed), `prepare(row)` (reads and rendering, in a
    transaction of its own, inside the row's tenant), `send(row, prepared)` outside any
    transaction (the I/O),
    then record the outcome. `send` returns fields to store on the row (a provider's message
    id). Returns the row's new status, or None when there was nothing to do (not due, or
    another worker has it).

    Raising `TransientError`, `PermanentError` or `Skip` from either step reports the outcome;
    any other exception is recorded as a transient failure (bounded, then dead) and logged —
    the row stays visible, never stuck."""
    # The claim commits on its own, so the attempt counts even if preparing kills the worker.
    with _scope(model, tenant_id):
        row = outbox_claim(model, row_id=row_id)
    if row is None or row.status == OutboxStatus.DEAD:
        return row and row.status
    with _scope(model, tenant_id):
        try:
            # A savepoint: a database error while preparing still lets the outcome be recorded.
            with transaction.atomic():
                prepared = prepare(row)
        except Exception as error:
            return _finish_failed(row, error)

    try:
        fields = send(row, prepared) or {}
    except Exception as error:
        with _scope(model, tenant_id):
            return _finish_failed(row, error)

    with _scope(model, tenant_id):
        _record(row, status=OutboxStatus.SENT, fields=fields)
    return OutboxStatus.SENT


def _finish_failed(row: OutboxRow, error: Exception) -> str:
    status, text = _outcome(row, error)
    if not isinstance(error, DeliveryError):
        logger.exception("outbox.delivery_error", extra={"table": row._meta.label, "row": row.pk})
    else:
        # The error text stays on the row (it may name a recipient): not in the log.
        logger.info(
            "outbox.delivery_failed",
            extra={"table": row._meta.label, "row": row.pk, "status": status},
        )
    _record(row, status=status, error=text)
    return status


def outbox_redeliver(row: OutboxRow) -> None:
    """Put a finished row back in line for a fresh series of attempts (an operator's retry)."""
    now = timezone.now()
    type(row)._default_manager.filter(pk=row.pk).update(
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        lease_until=None,
        finished_at=None,
        updated_at=now,
    )
    outbox_enqueue_on_commit(row)


# --- The sweep --------------------------------------------------------------------------------

_sweep_hooks: list[Callable[..., int]] = []


def outbox_sweep_hook(hook: Callable[..., int]) -> Callable[..., int]:
    """Run `hook(tenant=…)` in every tenant sweep (another app's lost-message recovery, such as
    export jobs). Registered from the app's ready(); returns how many it re-sent."""
    if hook not in _sweep_hooks:
        _sweep_hooks.append(hook)
    return hook


def _sweepable(now: datetime) -> Q:
    # What the claim would take, except rows whose first message may still be on its way.
    grace = now - timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS)
    first_message_lost = Q(attempts__gt=0) | Q(created_at__lte=grace)
    return (Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) & first_message_lost) | Q(
        status=OutboxStatus.SENDING, lease_until__lt=now
    )


def outbox_due(model: type[OutboxRow], *, limit: int) -> Iterator[OutboxRow]:
    """Rows of `model` to send again now: a retry whose time came, a first attempt whose
    message looks lost (older than OUTBOX_SWEEP_GRACE_SECONDS), or a row leased by a worker
    that is gone."""
    due = model._default_manager.filter(_sweepable(timezone.now())).order_by("next_attempt_at")
    return iter(
        due.only("pk", *(["tenant_id"] if issubclass(model, TenantOutboxRow) else []))[:limit]
    )


def outbox_sweep(*, tenant=None) -> int:
    """Re-send the delivery task of every row due again (a retry's time has come) or whose
    lease expired; with a tenant, that tenant's tables and the sweep hooks, without, the
    platform's tables. Returns how many it re-sent. Sending a row twice is harmless: the claim
    lets one task through."""
    limit = settings.OUTBOX_SWEEP_BATCH
    count = 0
    for model in outbox_models(tenant_owned=tenant is not None):
        for row in outbox_due(model, limit=limit):
            outbox_enqueue_on_commit(row)
            count += 1
    if tenant is not None:
        for hook in _sweep_hooks:
            count += hook(tenant=tenant)
    return count


def outbox_purge(*, tenant=None) -> int:
    """Delete finished rows past their table's retention (the tenant's tables, or without a
    tenant the platform's). Returns how many."""
    deleted = 0
    for model in outbox_models(tenant_owned=tenant is not None):
        cutoff = timezone.now() - timedelta(days=model.outbox_retention_days)
        count, _ = model._default_manager.filter(
            status__in=FINAL_STATUSES, finished_at__lt=cutoff
        ).delete()
        deleted += count
    return deleted
