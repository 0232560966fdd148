"""Asynchronous CSV exports of tickets, or of a report: request a job, run it (a TenantTask),
open the file.

The job stores the filters it was asked for in a canonical JSON form; the task applies them
through the ticket list's own filters (tickets.filters, by ticket_list_filtered), so an export
holds exactly the rows the list would show. The CSV goes to the default storage under a
tenant-prefixed key and is served only through the authorized download route.
"""

import csv
import hashlib
import io
import logging
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django_filters import BooleanFilter, MultipleChoiceFilter

from config.errors import DomainError
from tenants.access import Actor
from tenants.models import Tenant, User
from tenants.services import audit_log_record
from tenants.tasks_base import enqueue_on_commit
from tickets import reports
from tickets.exceptions import (
    ExportFailedError,
    ExportFileMissingError,
    ExportFiltersInvalidError,
    ExportNotReadyError,
)
from tickets.filters import TicketFilter, ticket_filters_clean
from tickets.models import ExportJob, ExportKind, ExportStatus, Ticket
from tickets.selectors import ticket_list, ticket_list_filtered

logger = logging.getLogger(__name__)

EXPORT_COLUMNS = (
    "number",
    "subject",
    "status",
    "priority",
    "category",
    "channel",
    "requester_email",
    "assignee_email",
    "tags",
    "created_at",
    "updated_at",
    "resolved_at",
    "closed_at",
)

# A report export's rows: one per group (`row` "group"), the totals ("total") and the SLA
# attainment per priority ("priority_sla": only the SLA columns), as reports/summary/ has them.
REPORT_COLUMNS = (
    "row",
    "group",
    "label",
    "created",
    "resolved",
    "backlog",
    "first_response_count",
    "first_response_median_minutes",
    "first_response_p90_minutes",
    "resolution_count",
    "resolution_median_minutes",
    "resolution_p90_minutes",
    "first_response_sla_eligible",
    "first_response_sla_met",
    "first_response_sla_rate",
    "resolution_sla_eligible",
    "resolution_sla_met",
    "resolution_sla_rate",
    "reopens_resolved",
    "reopens_reopened",
    "reopen_rate",
)
_REPORT_PARAMS = ("from", "to", "group_by")
_MOMENT_MAX_LENGTH = 64

# Spreadsheets run a cell starting with one of these as a formula (OWASP "CSV Injection").
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_CHUNK_ROWS = 2000
_SPOOL_BYTES = 1024 * 1024
_BOOLEAN_WORDS = {"true": True, "false": False}


# --- Filters ----------------------------------------------------------------------------------


def _as_query(filters: dict[str, Any]) -> QueryDict:
    """The filters as the query string the ticket list would have received."""
    query = QueryDict(mutable=True)
    for name, value in filters.items():
        values = value if isinstance(value, list) else [value]
        query.setlist(name, [str(v).lower() if isinstance(v, bool) else v for v in values])
    return query


# The ticket list's filters an export accepts (DESIGN.md §5), by the list's own definitions.
EXPORT_FILTERS = (
    "status",
    "priority",
    "assignee",
    "requester",
    "tag",
    "category",
    "channel",
    "urgent",
    "breached",
    "escalated",
    "created_after",
    "created_before",
)
if missing := set(EXPORT_FILTERS) - set(TicketFilter.base_filters):
    raise ImproperlyConfigured(f"TicketFilter lost export filters: {sorted(missing)}")
_BOOLEAN_FILTERS = frozenset(
    name for name in EXPORT_FILTERS if isinstance(TicketFilter.base_filters[name], BooleanFilter)
)
_MULTIPLE_FILTERS = frozenset(
    name
    for name in EXPORT_FILTERS
    if isinstance(TicketFilter.base_filters[name], MultipleChoiceFilter)
)


def _shape_errors(filters: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, value in filters.items():
        if name not in EXPORT_FILTERS:
            errors[name] = ["Unknown filter."]
        elif name in _MULTIPLE_FILTERS:
            values = value if isinstance(value, list) else [value]
            if not values or not all(isinstance(v, str) for v in values):
                errors[name] = ["Give a value or a list of values."]
        elif name in _BOOLEAN_FILTERS:
            if not isinstance(value, bool) and str(value).lower() not in _BOOLEAN_WORDS:
                errors[name] = ["Must be true or false."]
        elif not isinstance(value, str):
            errors[name] = ["Must be a string."]
    return errors


def _as_bool(name: str, value: Any) -> Any:
    # The FilterSet's boolean widget silently ignores words it does not know ("TRUE").
    if name in _BOOLEAN_FILTERS and isinstance(value, str):
        return _BOOLEAN_WORDS.get(value.lower(), value)
    return value


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list):
        return list(dict.fromkeys(value))
    return value


def export_filters_clean(*, tenant: Tenant, filters: Any, user: User | None) -> dict[str, Any]:
    """Validate export filters by the ticket list's rules; return their canonical JSON form.

    `assignee: "me"` becomes the user's id (the job runs later, without a request); an API
    key has no tickets of its own. Raises ValidationError({filter: [messages]}).
    """
    if not isinstance(filters, dict):
        raise ValidationError({"non_field_errors": ["Must be an object of filters."]})
    filters = {name: _as_bool(name, value) for name, value in filters.items() if value is not None}
    errors = _shape_errors(filters)
    if filters.get("assignee") == "me":
        if user is None:
            errors["assignee"] = ["'me' needs a signed-in user; API keys have no tickets."]
        else:
            filters["assignee"] = str(user.public_id)
    if errors:
        raise ValidationError(errors)
    cleaned = ticket_filters_clean(tenant=tenant, user=user, filters=_as_query(filters))
    return {
        name: _canonical(cleaned[name])
        for name in filters
        if cleaned.get(name) not in (None, "", [])
    }


def export_report_params_clean(*, tenant: Tenant, params: Any, now: datetime) -> dict[str, Any]:
    """Validate a report export's {"from", "to", "group_by"} (each optional, as
    reports/summary/ takes them: ISO 8601 dates or date-times) and return them resolved: the
    window in UTC (tickets.reports.report_window, from `now`) and group_by or None.

    Raises ValidationError({field: [messages]}).
    """
    if not isinstance(params, dict):
        raise ValidationError({"non_field_errors": ["Must be an object."]})
    errors: dict[str, list[str]] = {
        name: ["Unknown field."] for name in params if name not in _REPORT_PARAMS
    }
    moments: dict[str, Any] = {}
    for name in ("from", "to"):
        value = params.get(name)
        if value is None:
            moments[name] = None
            continue
        try:
            if not isinstance(value, str) or len(value) > _MOMENT_MAX_LENGTH or "\x00" in value:
                raise ValueError(name)
            moments[name] = reports.report_moment_parse(value)
        except ValueError:
            errors[name] = ["Give an ISO 8601 date or date-time."]
    group_by = params.get("group_by")
    if group_by is not None and group_by not in reports.GROUP_BYS:
        errors["group_by"] = [f"One of {', '.join(reports.GROUP_BYS)}."]
    if errors:
        raise ValidationError(errors)
    start, end = reports.report_window(
        tenant=tenant, start=moments["from"], end=moments["to"], now=now
    )
    return {"from": _canonical(start), "to": _canonical(end), "group_by": group_by}


# --- Jobs -------------------------------------------------------------------------------------


def _runs_lock_key(tenant: Tenant) -> int:
    # One PostgreSQL advisory lock per tenant (a signed 64-bit key): exports share it while
    # they run, an erasure takes it alone.
    digest = hashlib.sha256(f"tickets.export-runs:{tenant.pk}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def exports_hold_off(*, tenant: Tenant) -> None:
    """Wait until the tenant's running exports have committed, and keep new runs from
    reading until this transaction ends (an erasure: an export must neither finish after it
    with the data it erased, nor start before it commits)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_runs_lock_key(tenant)])


def _export_run_begin(tenant: Tenant) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_runs_lock_key(tenant)])


def export_storage_key(*, tenant: Tenant, job: ExportJob) -> str:
    """Return where a job's CSV lives: under the tenant's prefix, named by the job's id."""
    return f"tenants/{tenant.pk}/exports/{job.public_id}.csv"


@transaction.atomic
def export_job_create(
    *,
    tenant: Tenant,
    actor: Actor,
    filters: dict[str, Any],
    kind: str = ExportKind.TICKETS,
) -> ExportJob:
    """Record an export request (ticket filters already cleaned; a report's window and
    grouping, checked again here) and run it once the request commits.

    Audit-logged: an export copies the tenant's tickets (or figures) out of the product.
    Raises ValidationError (kind, a report's parameters).
    """
    if kind == ExportKind.REPORT_SUMMARY:
        filters = export_report_params_clean(tenant=tenant, params=filters, now=timezone.now())
    elif kind != ExportKind.TICKETS:
        raise ValidationError({"kind": [f"One of {', '.join(ExportKind.values)}."]})
    job = ExportJob(tenant=tenant, requested_by=actor.user, kind=kind, filters=filters)
    job.full_clean(exclude=["tenant"])
    job.save()
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="ticket_export.requested",
        target_type="export_job",
        target_id=str(job.public_id),
        after={"filters": filters} if kind == ExportKind.TICKETS else {"kind": kind, **filters},
    )
    # robust: the job is committed whatever the broker says; a lost message is re-sent by
    # export_jobs_requeue (a beat sweep), so the request answers 202 with Redis down too.
    enqueue_on_commit(EXPORT_TASK, robust=True, tenant_id=tenant.pk, job_id=job.pk)
    return job


EXPORT_TASK = "tickets.tasks.ticket_export_task"


def export_jobs_requeue(*, tenant: Tenant) -> int:
    """Send the export task again for every job still pending EXPORT_REQUEUE_AFTER_SECONDS
    after it was requested (its message was lost: broker down at the request, or a worker
    killed before it acknowledged). Returns how many.

    Safe to repeat: a job that a worker is running is locked and skipped by the task (SKIP
    LOCKED), a finished one is left alone, so a second message never exports twice.
    """
    if not tenant.is_active:  # a deactivated tenant's exports wait until it is back
        return 0
    cutoff = timezone.now() - timedelta(seconds=settings.EXPORT_REQUEUE_AFTER_SECONDS)
    job_ids = list(
        ExportJob.objects.filter(
            tenant=tenant, status=ExportStatus.PENDING, created_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for job_id in job_ids:
        enqueue_on_commit(EXPORT_TASK, robust=True, tenant_id=tenant.pk, job_id=job_id)
    return len(job_ids)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def _row(ticket: Ticket) -> list[Any]:
    values = (
        ticket.number,
        ticket.subject,
        ticket.status,
        ticket.priority,
        ticket.category,
        ticket.channel,
        ticket.requester.email,
        ticket.assignee.email if ticket.assignee_id else None,
        ";".join(ticket.tags),
        ticket.created_at,
        ticket.updated_at,
        ticket.resolved_at,
        ticket.closed_at,
    )
    return [_cell(value) for value in values]


def _export_queryset(*, tenant: Tenant, job: ExportJob) -> QuerySet[Ticket]:
    filters = job.filters if isinstance(job.filters, dict) else {"": job.filters}
    data = _as_query({name: filters[name] for name in filters if name in EXPORT_FILTERS})
    form = TicketFilter(data=data, queryset=Ticket.objects.none(), tenant=tenant)
    if set(filters) - set(EXPORT_FILTERS) or not form.is_valid():
        raise ExportFiltersInvalidError()
    # The job runs for nobody: `me` was stored as the requesting user's id.
    rows = ticket_list(tenant=tenant, representation=False)  # no calendar: rows, not tickets
    return ticket_list_filtered(tenant=tenant, user=None, filters=data, queryset=rows).order_by(
        "number"
    )


def _ticket_lines(*, tenant: Tenant, job: ExportJob) -> Iterator[Sequence[Any]]:
    yield EXPORT_COLUMNS
    for ticket in _export_queryset(tenant=tenant, job=job).iterator(chunk_size=_CHUNK_ROWS):
        yield _row(ticket)


def _report_row(row: str, group: str | None, label: str, figures: reports.Figures) -> list:
    values = (
        row,
        group,
        label,
        figures.created,
        figures.resolved,
        figures.backlog,
        figures.first_response.count,
        figures.first_response.median,
        figures.first_response.p90,
        figures.resolution.count,
        figures.resolution.median,
        figures.resolution.p90,
        figures.first_response_sla.eligible,
        figures.first_response_sla.met,
        figures.first_response_sla.rate,
        figures.resolution_sla.eligible,
        figures.resolution_sla.met,
        figures.resolution_sla.rate,
        figures.reopens.resolved,
        figures.reopens.reopened,
        figures.reopens.rate,
    )
    return [_cell(value) for value in values]


def _report_lines(*, tenant: Tenant, job: ExportJob) -> Iterator[Sequence[Any]]:
    params = job.filters if isinstance(job.filters, dict) else {}
    try:
        start = datetime.fromisoformat(params["from"])
        end = datetime.fromisoformat(params["to"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ExportFiltersInvalidError() from exc
    report = reports.report_summary(
        tenant=tenant, start=start, end=end, group_by=params.get("group_by")
    )
    yield REPORT_COLUMNS
    for group in report.groups:
        yield _report_row("group", group.key, group.label, group.figures)
    yield _report_row("total", None, "Total", report.totals)
    for sla in report.sla:
        figures = reports.Figures(
            first_response_sla=sla.first_response, resolution_sla=sla.resolution
        )
        row = _report_row("priority_sla", sla.priority, sla.priority, figures)
        yield [*row[:3], *[""] * 9, *row[12:18], "", "", ""]


def _write_csv(*, tenant: Tenant, job: ExportJob) -> tuple[str, int]:
    """Stream the rows through a spooled temp file into storage; return (key, row count)."""
    rows = 0
    lines = (_report_lines if job.kind == ExportKind.REPORT_SUMMARY else _ticket_lines)(
        tenant=tenant, job=job
    )
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(next(lines))  # the header
        for line in lines:
            writer.writerow(line)
            rows += 1
        text.flush()
        text.detach()  # leave `raw` open for the upload
        raw.seek(0)
        key = export_storage_key(tenant=tenant, job=job)
        # The key is fixed by the job, so a re-run after a crash replaces its own leftover
        # instead of the storage inventing a new name beside it.
        default_storage.delete(key)
        saved = default_storage.save(key, File(raw, name=key))
    return saved, rows


@transaction.atomic
def ticket_export(*, tenant: Tenant, job_id: int) -> ExportJob | None:
    """Write an export job's CSV and mark it done, or failed with the reason.

    Idempotent: a finished job (done or failed) is left alone. The job row stays locked until
    the caller's transaction commits, so a second delivery of the task skips it (SKIP LOCKED)
    and a worker that dies mid-run leaves the job pending for a redelivery. Returns None when
    the job is missing or another worker holds it.
    """
    job = (
        ExportJob.objects.select_for_update(skip_locked=True)
        .filter(tenant=tenant, pk=job_id)
        .first()
    )
    if job is None or job.status in (ExportStatus.DONE, ExportStatus.FAILED):
        return job
    _export_run_begin(tenant)  # until COMMIT: an erasure waits for us, or we for it
    job.status = ExportStatus.RUNNING
    job.started_at = timezone.now()
    job.save(update_fields=["status", "started_at"])
    try:
        with transaction.atomic():
            key, rows = _write_csv(tenant=tenant, job=job)
    except Exception as exc:  # the task's failure boundary: record it on the job
        logger.exception("ticket export failed", extra={"export_job": str(job.public_id)})
        detail = exc.detail if isinstance(exc, DomainError) else type(exc).__name__
        job.status = ExportStatus.FAILED
        job.error = f"The export failed: {detail}"
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    job.status = ExportStatus.DONE
    job.storage_key = key
    job.row_count = rows
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "storage_key", "row_count", "finished_at"])
    return job


def export_job_open(*, tenant: Tenant, job: ExportJob) -> File:
    """Open a finished export's CSV for reading.

    Raises ExportNotReadyError (pending/running), ExportFailedError, ExportFileMissingError.
    """
    if job.status == ExportStatus.FAILED:
        raise ExportFailedError(job.error or None, status=job.status)
    if job.status != ExportStatus.DONE:
        raise ExportNotReadyError(status=job.status)
    # Only ever a key under this tenant's prefix, whatever the row says.
    if not job.storage_key.startswith(f"tenants/{tenant.pk}/exports/"):
        raise ExportFileMissingError()
    try:
        return default_storage.open(job.storage_key, "rb")
    except FileNotFoundError as exc:
        raise ExportFileMissingError() from exc


def export_files_remove(*, tenant: Tenant, reason: str, finished_before=None) -> int:
    """Delete the CSVs of finished exports (all, or those finished before a moment).

    The job rows stay (who exported what, when); downloads then answer "no longer
    available". Files go after COMMIT, so a rollback keeps them. Returns how many.
    """
    jobs = ExportJob.objects.filter(tenant=tenant, status=ExportStatus.DONE).exclude(storage_key="")
    if finished_before is not None:
        jobs = jobs.filter(finished_at__lt=finished_before)
    keys = list(jobs.values_list("storage_key", flat=True))
    jobs.update(storage_key="", error=reason)
    for key in keys:
        transaction.on_commit(partial(default_storage.delete, key), robust=True)
    return len(keys)


def export_files_expire(*, tenant: Tenant) -> int:
    """Delete export CSVs older than EXPORT_RETENTION_DAYS (they copy tickets out)."""
    cutoff = timezone.now() - timedelta(days=settings.EXPORT_RETENTION_DAYS)
    return export_files_remove(
        tenant=tenant, finished_before=cutoff, reason="Expired: exports are kept for a while."
    )
