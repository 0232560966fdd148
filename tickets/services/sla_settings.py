"""SLA policies and business hours (DESIGN.md §6): the targets per priority (a default policy
per tenant, optional per-tier overrides) and the tenant's business calendar; and the
recomputation of running tickets' due times when any of them, or a requester's tier, changes.

Every change is audited and re-validated here (the admin and the API both call these).
"""

import re
from datetime import date
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from config.errors import ConflictError, NotFoundError
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.services.audit import audit_log_record
from tenants.tasks_base import enqueue_on_commit
from tenants.validation import fields_clean, text_check, timezone_check
from tickets.models import BusinessHours, SlaPolicy, Status, Ticket, Tier
from tickets.services.versions import ExpectedVersion, version_check
from tickets.sla import (
    DEFAULT_TARGETS,
    PRIORITIES,
    TARGETS,
    clock_minutes,
    policy_targets,
    sla_config_load,
    sla_refresh,
)

# A target is at least a minute and at most a year of business time.
TARGET_RANGE = (1, 366 * 24 * 60)
MAX_INTERVALS = 7 * 12
MAX_HOLIDAYS = 1000
HOLIDAY_YEARS = (1970, 2200)
_CLOCK = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00")
RECOMPUTE_BATCH = 500


class DefaultPolicyError(ConflictError):
    code = "default_policy"
    message = "The default policy cannot be deleted; change its targets instead."


class TierPolicyExistsError(ConflictError):
    code = "tier_policy_exists"
    message = "This tier has a policy already; change that one."


# --- validation -------------------------------------------------------------------------------


def _minutes_check(field: str, value: Any) -> int:
    low, high = TARGET_RANGE
    if type(value) is not int:
        raise ValidationError({field: "A valid integer is required."})
    if not low <= value <= high:
        raise ValidationError({field: f"Ensure this value is between {low} and {high}."})
    return value


def _targets_check(field: str, value: Any) -> dict[str, int]:
    """{priority: minutes} for some of the four priorities."""
    if not isinstance(value, dict):
        raise ValidationError({field: "Must be an object of priority: minutes."})
    unknown = sorted(set(value) - {str(p) for p in PRIORITIES})
    if unknown:
        raise ValidationError({field: f"Unknown priorities: {', '.join(map(str, unknown))}."})
    return {p: _minutes_check(f"{field}.{p}", m) for p, m in value.items()}


def _name_check(field: str, value: Any) -> str:
    return text_check(field, value, max_length=100, blank=False).strip()


def _tier_check(field: str, value: Any) -> str:
    if value not in Tier.values:
        raise ValidationError({field: f'"{value}" is not a valid choice.'})
    return value


POLICY_RULES = {
    "name": _name_check,
    "first_response_minutes": _targets_check,
    "resolution_minutes": _targets_check,
}


def _interval_check(field: str, item: Any) -> dict:
    if not isinstance(item, dict) or set(item) != {"weekday", "start", "end"}:
        raise ValidationError({field: 'Each interval is {"weekday", "start", "end"}.'})
    weekday, start, end = item["weekday"], item["start"], item["end"]
    if type(weekday) is not int or not 0 <= weekday <= 6:
        raise ValidationError({field: "weekday is 0 (Monday) to 6 (Sunday)."})
    for value in (start, end):
        if not isinstance(value, str) or not _CLOCK.fullmatch(value):
            raise ValidationError({field: 'start and end are "HH:MM" (00:00 to 24:00).'})
    if clock_minutes(start) >= clock_minutes(end):
        raise ValidationError({field: "An interval ends after it starts, on the same day."})
    return {"weekday": weekday, "start": start, "end": end}


def intervals_check(field: str, value: Any) -> list[dict]:
    """Weekly open intervals: a list of {weekday, start, end}; several a day, none overlapping."""
    if not isinstance(value, list):
        raise ValidationError({field: "Must be a list of intervals."})
    if len(value) > MAX_INTERVALS:
        raise ValidationError({field: f"At most {MAX_INTERVALS} intervals."})
    intervals = [_interval_check(field, item) for item in value]
    by_day = sorted(intervals, key=lambda i: (i["weekday"], clock_minutes(i["start"])))
    for before, after in pairwise(by_day):
        same_day = before["weekday"] == after["weekday"]
        if same_day and clock_minutes(after["start"]) < clock_minutes(before["end"]):
            raise ValidationError({field: f"Intervals overlap on weekday {before['weekday']}."})
    return by_day


def holidays_check(field: str, value: Any) -> list[dict]:
    """Closed local dates: a list of {date "YYYY-MM-DD", name}; each date once."""
    if not isinstance(value, list):
        raise ValidationError({field: "Must be a list of holidays."})
    if len(value) > MAX_HOLIDAYS:
        raise ValidationError({field: f"At most {MAX_HOLIDAYS} holidays."})
    holidays: dict[str, dict] = {}
    for item in value:
        if not isinstance(item, dict) or "date" not in item or set(item) - {"date", "name"}:
            raise ValidationError({field: 'Each holiday is {"date": "YYYY-MM-DD", "name"}.'})
        try:
            day = date.fromisoformat(item["date"]) if isinstance(item["date"], str) else None
        except ValueError:
            day = None
        if day is None or len(item["date"]) != 10:
            raise ValidationError({field: f"Not a date (YYYY-MM-DD): {item['date']!r}."})
        if not HOLIDAY_YEARS[0] <= day.year <= HOLIDAY_YEARS[1]:
            raise ValidationError({field: f"Years {HOLIDAY_YEARS[0]} to {HOLIDAY_YEARS[1]}."})
        name = text_check(field, item.get("name", ""), max_length=100)
        if day.isoformat() in holidays:
            raise ValidationError({field: f"{day.isoformat()} is listed twice."})
        holidays[day.isoformat()] = {"date": day.isoformat(), "name": name}
    return sorted(holidays.values(), key=lambda h: h["date"])


HOURS_RULES = {
    "timezone": timezone_check,
    "intervals": intervals_check,
    "holidays": holidays_check,
}


# --- policies ---------------------------------------------------------------------------------


def _default_values() -> dict[str, int]:
    return {
        f"{target}_{priority}": DEFAULT_TARGETS[target][priority]
        for target in TARGETS
        for priority in PRIORITIES
    }


def sla_policy_default(*, tenant: Tenant) -> SlaPolicy:
    """Return the tenant's default policy, creating it with the DESIGN.md §6 targets the first
    time (INSERT … ON CONFLICT DO NOTHING: two first readers cannot create two)."""
    policy = SlaPolicy.objects.filter(tenant=tenant, tier__isnull=True).first()
    if policy is None:
        SlaPolicy.objects.bulk_create(
            [SlaPolicy(tenant=tenant, name="Default", tier=None, **_default_values())],
            ignore_conflicts=True,
        )
        policy = SlaPolicy.objects.get(tenant=tenant, tier__isnull=True)
    return policy


def _apply_targets(policy: SlaPolicy, cleaned: dict[str, Any]) -> list[str]:
    changed = []
    if "name" in cleaned and cleaned["name"] != policy.name:
        policy.name = cleaned["name"]
        changed.append("name")
    for target in TARGETS:
        for priority, minutes in cleaned.get(f"{target}_minutes", {}).items():
            field = f"{target}_{priority}"
            if getattr(policy, field) != minutes:
                setattr(policy, field, minutes)
                changed.append(field)
    return changed


def _policy_audit(tenant, actor, action, policy, before=None, after=None) -> None:
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action=action,
        target_type="sla_policy",
        target_id=str(policy.public_id),
        target_label=policy.name,
        before=before,
        after=after,
    )


@transaction.atomic
def sla_policy_create(
    *, tenant: Tenant, actor: Actor, tier: Any, name: Any = None, **targets: Any
) -> SlaPolicy:
    """Add a tier's override policy; targets not given copy the default policy's. Running
    tickets of that tier are recomputed in the background. Raises ValidationError,
    TierPolicyExistsError."""
    tier = fields_clean({"tier": tier}, {"tier": _tier_check})["tier"]
    cleaned = fields_clean(
        {"name": name if name is not None else f"{tier.capitalize()} tier", **targets},
        POLICY_RULES,
    )
    default = sla_policy_default(tenant=tenant)
    policy = SlaPolicy(tenant=tenant, tier=tier, name="")
    for target, by_priority in policy_targets(default).items():
        for priority, minutes in by_priority.items():
            setattr(policy, f"{target}_{priority}", minutes)
    _apply_targets(policy, cleaned)
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:
        raise TierPolicyExistsError() from exc
    _policy_audit(tenant, actor, "sla_policy.created", policy, after=policy_targets(policy))
    sla_recompute_schedule(tenant=tenant)
    return policy


@transaction.atomic
def sla_policy_update(
    *,
    tenant: Tenant,
    actor: Actor,
    policy: SlaPolicy,
    expected_version: ExpectedVersion = None,
    **changes: Any,
) -> SlaPolicy:
    """Change a policy's name or targets (optimistic concurrency through `expected_version`);
    running tickets are recomputed in the background. Raises ValidationError, NotFoundError,
    PreconditionFailedError."""
    cleaned = fields_clean(changes, POLICY_RULES)
    locked = SlaPolicy.objects.select_for_update().filter(tenant=tenant, pk=policy.pk).first()
    if locked is None:
        raise NotFoundError()
    version_check(locked, expected_version)
    before = policy_targets(locked)
    changed = _apply_targets(locked, cleaned)
    if not changed:
        return locked
    locked.version += 1
    locked.save(update_fields=[*changed, "version", "updated_at"])
    _policy_audit(
        tenant, actor, "sla_policy.updated", locked, before=before, after=policy_targets(locked)
    )
    if any(field != "name" for field in changed):
        sla_recompute_schedule(tenant=tenant)
    return locked


@transaction.atomic
def sla_policy_delete(
    *, tenant: Tenant, actor: Actor, policy: SlaPolicy, expected_version: ExpectedVersion = None
) -> None:
    """Delete a tier's override (its tickets fall back to the default policy). Raises
    DefaultPolicyError, NotFoundError, PreconditionFailedError."""
    locked = SlaPolicy.objects.select_for_update().filter(tenant=tenant, pk=policy.pk).first()
    if locked is None:
        raise NotFoundError()
    if locked.is_default:
        raise DefaultPolicyError()
    version_check(locked, expected_version)
    _policy_audit(tenant, actor, "sla_policy.deleted", locked, before=policy_targets(locked))
    locked.delete()
    sla_recompute_schedule(tenant=tenant)


# --- business hours ---------------------------------------------------------------------------


def business_hours_get(*, tenant: Tenant) -> BusinessHours:
    """The tenant's business hours; an unsaved 24/7 UTC row when none was ever set."""
    return BusinessHours.objects.filter(tenant=tenant).first() or BusinessHours(
        tenant=tenant, timezone=tenant.timezone or "UTC"
    )


def _business_hours_lock(tenant: Tenant) -> BusinessHours:
    """The tenant's business hours row, created 24/7 in the tenant's time zone if missing
    (INSERT … ON CONFLICT DO NOTHING: two first writers meet on one row), locked."""
    BusinessHours.objects.bulk_create(
        [BusinessHours(tenant=tenant, timezone=tenant.timezone or "UTC")], ignore_conflicts=True
    )
    return BusinessHours.objects.select_for_update().get(tenant=tenant)


def _hours_state(hours: BusinessHours) -> dict:
    return {"timezone": hours.timezone, "intervals": hours.intervals, "holidays": hours.holidays}


@transaction.atomic
def business_hours_update(
    *,
    tenant: Tenant,
    actor: Actor,
    expected_version: ExpectedVersion = None,
    **changes: Any,
) -> BusinessHours:
    """Set the timezone, weekly intervals and/or holidays (each replaces what was there);
    running tickets are recomputed in the background. Raises ValidationError,
    PreconditionFailedError."""
    cleaned = fields_clean(changes, HOURS_RULES)
    hours = _business_hours_lock(tenant)
    version_check(hours, expected_version)
    before = _hours_state(hours)
    changed = [name for name, value in cleaned.items() if getattr(hours, name) != value]
    if not changed:
        return hours
    for name in changed:
        setattr(hours, name, cleaned[name])
    hours.version += 1
    hours.save(update_fields=[*changed, "version", "updated_at"])
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="business_hours.updated",
        target_type="business_hours",
        target_id=str(hours.public_id),
        target_label=hours.timezone,
        before={name: before[name] for name in changed},
        after={name: cleaned[name] for name in changed},
    )
    sla_recompute_schedule(tenant=tenant)
    return hours


def holidays_for_country(*, country: Any, years: Any, subdivision: Any = None) -> list[dict]:
    """The public holidays of a country (ISO 3166-1 code; optional subdivision) in `years`,
    from the maintained `holidays` package. Raises ValidationError for an unknown country,
    subdivision or a bad year list."""
    import holidays as holiday_calendars  # loaded only here: it is large

    errors: dict[str, str] = {}
    supported = holiday_calendars.list_supported_countries()
    if not isinstance(country, str) or country.upper() not in supported:
        errors["country"] = "Unknown country code (ISO 3166-1 alpha-2, e.g. DE, US, FR)."
    if (
        not isinstance(years, list)
        or not 1 <= len(years) <= 10
        or any(type(y) is not int or not HOLIDAY_YEARS[0] <= y <= HOLIDAY_YEARS[1] for y in years)
    ):
        errors["years"] = f"One to ten years from {HOLIDAY_YEARS[0]} to {HOLIDAY_YEARS[1]}."
    if (
        subdivision is not None
        and "country" not in errors
        and (not isinstance(subdivision, str) or subdivision not in supported[country.upper()])
    ):
        errors["subdivision"] = "Unknown subdivision of this country."
    if errors:
        raise ValidationError(errors)
    calendar = holiday_calendars.country_holidays(
        country.upper(), subdiv=subdivision, years=sorted(set(years)), language="en_US"
    )
    return [{"date": day.isoformat(), "name": name[:100]} for day, name in sorted(calendar.items())]


@transaction.atomic
def business_hours_import_holidays(
    *, tenant: Tenant, actor: Actor, country: Any, years: Any, subdivision: Any = None
) -> BusinessHours:
    """Add a country's public holidays for `years` to the tenant's holidays (dates already
    listed keep their name). Raises ValidationError."""
    found = holidays_for_country(country=country, years=years, subdivision=subdivision)
    # Read under the lock the update takes too: a holiday list changed meanwhile is merged,
    # never overwritten with the list read before.
    current = _business_hours_lock(tenant).holidays
    listed = {item["date"] for item in current}
    merged = [*current, *(item for item in found if item["date"] not in listed)]
    return business_hours_update(tenant=tenant, actor=actor, holidays=merged)


# --- recomputation ----------------------------------------------------------------------------


def sla_recompute_schedule(*, tenant: Tenant, requester_id: int | None = None) -> None:
    """Recompute the due times of the tenant's unfinished tickets (or one requester's) once
    this transaction commits, in the background."""
    enqueue_on_commit(
        "tickets.tasks.sla_recompute_task",
        robust=True,
        tenant_id=tenant.pk,
        requester_id=requester_id,
    )


# The columns sla_recompute writes, with their PostgreSQL types (for the VALUES list).
_RECOMPUTED = [
    "first_response_target_minutes",
    "first_response_due_at",
    "resolution_target_minutes",
    "resolution_due_at",
]
_RECOMPUTED_TYPES = ["integer", "timestamptz", "integer", "timestamptz"]


def _recomputed_write(tenant: Tenant, tickets: list[Ticket]) -> None:
    """Store the recomputed targets and due times of `tickets` (locked, of `tenant`) in one
    UPDATE … FROM (VALUES …). QuerySet.bulk_update writes the same columns but builds a
    CASE WHEN per ticket and column: ~0.2 s of Python per batch of 500, three quarters of a
    recomputation's time (bench/SLA.md)."""
    if not tickets:
        return
    columns = [Ticket._meta.get_field(name).column for name in _RECOMPUTED]
    row = "(" + ", ".join(["%s::bigint", *(f"%s::{t}" for t in _RECOMPUTED_TYPES)]) + ")"
    params: list[Any] = []
    for ticket in tickets:
        params.append(ticket.pk)
        params.extend(getattr(ticket, name) for name in _RECOMPUTED)
    params.append(tenant.pk)
    assignments = ", ".join(f"{column} = v.{column}" for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Ticket._meta.db_table} AS t SET {assignments} "  # noqa: S608 — fixed identifiers
            f"FROM (VALUES {', '.join([row] * len(tickets))}) AS v (id, {', '.join(columns)}) "
            "WHERE t.id = v.id AND t.tenant_id = %s",
            params,
        )


def sla_recompute(*, tenant: Tenant, requester_id: int | None = None) -> int:
    """Recompute targets and due times of every unfinished ticket (or one requester's) from
    its timeline under the current policies and calendar; each batch locks its tickets in id
    order and commits on its own. Return how many tickets changed."""

    def unfinished():
        rows = Ticket.objects.filter(tenant=tenant).exclude(
            status__in=[Status.RESOLVED, Status.CLOSED]
        )
        return rows if requester_id is None else rows.filter(requester_id=requester_id)

    fields = _RECOMPUTED
    changed, after = 0, 0
    while True:
        with tenant_context(tenant):  # a transaction per batch
            config = sla_config_load()
            batch = list(
                unfinished()
                .filter(pk__gt=after)
                .select_related("requester")
                .select_for_update(of=("self",))
                .order_by("pk")[:RECOMPUTE_BATCH]
            )
            if not batch:
                return changed
            dirty = []
            for ticket in batch:
                old = [getattr(ticket, f) for f in fields]
                sla_refresh(ticket, config=config, tier=ticket.requester.tier)
                if [getattr(ticket, f) for f in fields] != old:
                    dirty.append(ticket)
            _recomputed_write(tenant, dirty)
            changed += len(dirty)
            after = batch[-1].pk
