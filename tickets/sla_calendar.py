"""Business time: a tenant's calendar (timezone, weekly open intervals, holidays) and the SLA
clock on it. Pure functions over aware datetimes; no database, no "now".

Open intervals are wall-clock times in the calendar's timezone, so a day that changes to or
from daylight saving time is an hour shorter or longer in real time, exactly as the office's
clock says. Inside an open interval, time is real elapsed time (UTC arithmetic). A calendar
without intervals is open around the clock (24/7). Holidays are whole local dates, closed.

The SLA clock counts business minutes from when it started, stops while the ticket is paused
(`pending`) and resumes after; `due_at` replays that timeline, so the same timeline always
gives the same due time (recomputing after a priority or policy change is deterministic).
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# A calendar must open at least once in this many days from any moment (a year of holidays
# plus a week): beyond it, adding time is refused instead of looping for ever.
_SEARCH_DAYS = 366 + 7
# Days whose open spans a calendar keeps (about eleven years); beyond, it starts over.
_CACHED_DAYS = 4096


class CalendarNeverOpensError(ValueError):
    """No open time within a year and a week: the calendar cannot carry an SLA."""


@dataclass(frozen=True)
class OpenInterval:
    """Open on `weekday` (0 Monday … 6 Sunday) from `start` to `end`, in minutes after local
    midnight (0 … 1440; `end` 1440 is midnight at the end of the day)."""

    weekday: int
    start: int
    end: int

    def __post_init__(self):
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise ValueError("an interval opens before it closes, within one day")


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "UTC"
    intervals: tuple[OpenInterval, ...] = ()
    holidays: frozenset[date] = field(default_factory=frozenset)
    # The open spans of each local day asked for so far (not part of the value). The clocks
    # of a list page or of a recomputation batch walk the same days again and again: a
    # ticket open for a year is ~365 days per clock (bench/SLA.md).
    _spans: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def always_open(self) -> bool:
        return not self.intervals

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _at(self, day: date, minute: int) -> datetime:
        """Local wall time `minute` of `day` as an aware UTC datetime. A wall time that a DST
        change skips counts as the instant an hour later; one it repeats, as the first (PEP
        495, fold=0)."""
        if minute == MINUTES_PER_DAY:
            return self._at(day + timedelta(days=1), 0)
        wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self._zone())
        return wall.astimezone(UTC)

    def open_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open spans of local `day`, in UTC, in order (none on a holiday)."""
        return list(self._day_spans(day))

    def _day_spans(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        spans = self._spans.get(day)
        if spans is None:
            if len(self._spans) >= _CACHED_DAYS:
                self._spans.clear()
            spans = self._spans[day] = self._spans_of(day)
        return spans

    def _spans_of(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        if day in self.holidays:
            return ()
        spans = [
            (self._at(day, interval.start), self._at(day, interval.end))
            for interval in sorted(self.intervals, key=lambda i: i.start)
            if interval.weekday == day.weekday()
        ]
        return tuple((start, end) for start, end in spans if end > start)

    def _spans_from(
        self, moment: datetime, *, days: int = _SEARCH_DAYS
    ) -> Iterator[tuple[datetime, datetime]]:
        """Open spans from the local day before `moment` on, for `days` days."""
        day = moment.astimezone(self._zone()).date() - timedelta(days=1)  # spans reach back
        for offset in range(days + 1):
            yield from self._day_spans(day + timedelta(days=offset))

    def add(self, start: datetime, minutes: float) -> datetime:
        """The moment `minutes` of business time after `start`."""
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        # In UTC: aware datetimes of one zone add and subtract as wall clocks in Python.
        start = start.astimezone(UTC)
        if self.always_open:
            return start + timedelta(minutes=minutes)
        remaining = timedelta(minutes=minutes)
        opened = False
        for span_start, span_end in self._spans_from(start):
            begin = max(span_start, start)
            if begin >= span_end:
                continue
            opened = True
            if begin + remaining <= span_end:
                return begin + remaining
            remaining -= span_end - begin
        if not opened:
            raise CalendarNeverOpensError("the calendar is never open")
        raise CalendarNeverOpensError("the calendar opens too rarely to reach the target")

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes from `start` to `end` (0 when `end` is not after `start`)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return 0.0
        if self.always_open:
            return (end - start).total_seconds() / 60
        total = timedelta(0)
        # Every day up to `end`, however far (an overdue clock's age has no bound).
        zone = self._zone()
        days = (end.astimezone(zone).date() - start.astimezone(zone).date()).days + 2
        for span_start, span_end in self._spans_from(start, days=days):
            if span_start >= end:
                break
            overlap = min(span_end, end) - max(span_start, start)
            if overlap > timedelta(0):
                total += overlap
        return total.total_seconds() / 60


def always_open() -> BusinessCalendar:
    """The 24/7 calendar (a tenant without business hours)."""
    return BusinessCalendar()


@dataclass(frozen=True)
class Pause:
    """The clock stopped at `started` and went on at `ended` (None: still stopped)."""

    started: datetime
    ended: datetime | None


def due_at(
    calendar: BusinessCalendar,
    *,
    started: datetime,
    target_minutes: float,
    pauses: Sequence[Pause] = (),
) -> datetime | None:
    """When a clock started at `started` with `target_minutes` of business time runs out,
    given its pauses (in order); None while it is paused (no due time until it resumes)."""
    remaining = float(target_minutes)
    cursor = started
    for pause in sorted(pauses, key=lambda p: p.started):
        if pause.started < cursor:
            continue  # a pause before the clock started (or overlapping one already counted)
        due = calendar.add(cursor, remaining)
        if pause.started >= due:
            return due
        remaining -= calendar.minutes_between(cursor, pause.started)
        if pause.ended is None:
            return None
        cursor = max(cursor, pause.ended)
    return calendar.add(cursor, remaining)


def remaining_minutes(
    calendar: BusinessCalendar,
    *,
    started: datetime,
    target_minutes: float,
    pauses: Iterable[Pause],
    now: datetime,
) -> float:
    """Business minutes left on the clock at `now`; negative once overdue (by as many business
    minutes as it ran past its target)."""
    used = 0.0
    cursor = started
    for pause in sorted(pauses, key=lambda p: p.started):
        if pause.started < cursor or pause.started >= now:
            continue
        used += calendar.minutes_between(cursor, pause.started)
        if pause.ended is None or pause.ended >= now:
            return float(target_minutes) - used
        cursor = pause.ended
    return float(target_minutes) - used - calendar.minutes_between(cursor, now)
