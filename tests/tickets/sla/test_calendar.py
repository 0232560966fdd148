"""Business time on a tenant's calendar: nights, weekends, holidays, lunch breaks and both DST
changes, as tables of local wall times (what an office's clock says), and the SLA clock with
its pauses."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tickets.sla_calendar import (
    BusinessCalendar,
    CalendarNeverOpensError,
    OpenInterval,
    Pause,
    always_open,
    due_at,
    remaining_minutes,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = 60


def _weekdays(*spans):
    """Open Monday to Friday during each (start hour, end hour)."""
    return tuple(OpenInterval(day, start * H, end * H) for day in range(5) for start, end in spans)


OFFICE = BusinessCalendar(
    timezone="Europe/Berlin",
    intervals=_weekdays((9, 17)),
    holidays=frozenset({date(2026, 12, 25), date(2026, 12, 26)}),
)
LUNCH = BusinessCalendar(timezone="Europe/Berlin", intervals=_weekdays((9, 12), (13, 17)))
NY_OFFICE = BusinessCalendar(timezone="America/New_York", intervals=_weekdays((9, 17)))


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


def new_york(*args):
    return datetime(*args, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("calendar", "start", "minutes", "expected"),
    [
        pytest.param(OFFICE, berlin(2026, 11, 30, 10), 60, berlin(2026, 11, 30, 11), id="same-day"),
        pytest.param(OFFICE, berlin(2026, 11, 30, 7), 30, berlin(2026, 11, 30, 9, 30), id="early"),
        pytest.param(
            OFFICE, berlin(2026, 11, 30, 16, 30), 60, berlin(2026, 12, 1, 9, 30), id="overnight"
        ),
        pytest.param(OFFICE, berlin(2026, 11, 30, 17), 1, berlin(2026, 12, 1, 9, 1), id="at-close"),
        pytest.param(
            OFFICE, berlin(2026, 12, 4, 16), 120, berlin(2026, 12, 7, 10), id="over-the-weekend"
        ),
        pytest.param(
            OFFICE, berlin(2026, 12, 5, 12), 30, berlin(2026, 12, 7, 9, 30), id="from-saturday"
        ),
        pytest.param(
            OFFICE, berlin(2026, 12, 24, 16), 120, berlin(2026, 12, 28, 10), id="over-christmas"
        ),
        pytest.param(
            OFFICE, berlin(2026, 11, 30, 9), 5 * 8 * H, berlin(2026, 12, 4, 17), id="a-full-week"
        ),
        pytest.param(
            LUNCH, berlin(2026, 11, 30, 11, 30), 60, berlin(2026, 11, 30, 13, 30), id="lunch"
        ),
        pytest.param(
            LUNCH, berlin(2026, 11, 30, 12, 15), 10, berlin(2026, 11, 30, 13, 10), id="in-lunch"
        ),
        # DST: the office's wall clock decides (a UTC-only calendar would be an hour off).
        pytest.param(
            OFFICE, berlin(2027, 3, 26, 16), 120, berlin(2027, 3, 29, 10), id="dst-spring-berlin"
        ),
        pytest.param(
            OFFICE, berlin(2026, 10, 23, 16), 120, berlin(2026, 10, 26, 10), id="dst-autumn-berlin"
        ),
        pytest.param(
            NY_OFFICE, new_york(2027, 3, 12, 16), 120, new_york(2027, 3, 15, 10), id="dst-spring-ny"
        ),
        pytest.param(
            NY_OFFICE,
            new_york(2026, 10, 30, 16),
            120,
            new_york(2026, 11, 2, 10),
            id="dst-autumn-ny",
        ),
        pytest.param(
            always_open(), berlin(2026, 12, 5, 23), 90, berlin(2026, 12, 6, 0, 30), id="24-7"
        ),
    ],
)
def test_adding_business_minutes(calendar, start, minutes, expected):
    assert calendar.add(start, minutes) == expected


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [
        pytest.param(OFFICE, berlin(2026, 12, 4, 16), berlin(2026, 12, 7, 10), 120, id="weekend"),
        pytest.param(OFFICE, berlin(2026, 12, 5, 1), berlin(2026, 12, 6, 23), 0, id="closed"),
        pytest.param(OFFICE, berlin(2026, 12, 7, 10), berlin(2026, 12, 4, 16), 0, id="backwards"),
        pytest.param(LUNCH, berlin(2026, 11, 30, 8), berlin(2026, 11, 30, 18), 7 * H, id="day"),
        pytest.param(
            OFFICE, berlin(2027, 3, 26, 16), berlin(2027, 3, 29, 10), 120, id="over-dst-change"
        ),
        pytest.param(
            always_open(), berlin(2027, 3, 28, 0), berlin(2027, 3, 29, 0), 23 * H, id="short-day"
        ),
    ],
)
def test_business_minutes_between(calendar, start, end, expected):
    assert calendar.minutes_between(start, end) == expected


def test_round_the_clock_counts_real_time_across_a_dst_change():
    # 24/7 in Berlin: the spring Sunday has 23 real hours (Python adds wall time within one
    # zone; the calendar must not).
    start = berlin(2027, 3, 27, 12)

    assert always_open().add(start, 24 * H) == berlin(2027, 3, 28, 13)


def test_adding_and_measuring_agree_on_a_random_walk():
    start = berlin(2026, 11, 27, 15, 17)
    for minutes in (0, 1, 59, 480, 1000, 2400, 9999):
        assert OFFICE.minutes_between(start, OFFICE.add(start, minutes)) == pytest.approx(minutes)


def test_a_calendar_that_never_opens_is_refused_not_looped():
    mondays = frozenset(date(2026, 11, 30) + timedelta(weeks=n) for n in range(60))
    closed = BusinessCalendar(intervals=(OpenInterval(0, 9 * H, 17 * H),), holidays=mondays)

    with pytest.raises(CalendarNeverOpensError):
        closed.add(berlin(2026, 11, 30, 8), 10)


@pytest.mark.parametrize(
    "args", [(7, 0, 60), (0, 600, 540), (0, -1, 60), (0, 0, 1441), (0, 60, 60)]
)
def test_an_interval_opens_before_it_closes_within_a_day(args):
    with pytest.raises(ValueError):
        OpenInterval(*args)


# --- The SLA clock ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "started", "target", "pauses", "expected"),
    [
        pytest.param(
            always_open(), berlin(2026, 11, 30, 10), 240, [], berlin(2026, 11, 30, 14), id="plain"
        ),
        pytest.param(
            always_open(),
            berlin(2026, 11, 30, 10),
            240,
            [Pause(berlin(2026, 11, 30, 11), berlin(2026, 11, 30, 13))],
            berlin(2026, 11, 30, 16),
            id="paused-two-hours",
        ),
        pytest.param(
            always_open(),
            berlin(2026, 11, 30, 10),
            240,
            [Pause(berlin(2026, 11, 30, 15), berlin(2026, 11, 30, 16))],
            berlin(2026, 11, 30, 14),
            id="paused-after-due",
        ),
        pytest.param(
            OFFICE,
            berlin(2026, 11, 30, 16),
            120,
            [Pause(berlin(2026, 11, 30, 16, 30), berlin(2026, 12, 1, 10))],
            berlin(2026, 12, 1, 11, 30),
            id="business-pause-overnight",
        ),
        pytest.param(
            OFFICE,
            berlin(2026, 11, 30, 10),
            600,
            [
                Pause(berlin(2026, 11, 30, 11), berlin(2026, 11, 30, 12)),
                Pause(berlin(2026, 11, 30, 14), berlin(2026, 12, 1, 9, 30)),
            ],
            berlin(2026, 12, 1, 16, 30),
            id="two-pauses",
        ),
    ],
)
def test_due_times_follow_the_timeline(calendar, started, target, pauses, expected):
    assert due_at(calendar, started=started, target_minutes=target, pauses=pauses) == expected


def test_a_paused_clock_has_no_due_time_until_it_resumes():
    started = berlin(2026, 11, 30, 10)
    paused = [Pause(berlin(2026, 11, 30, 11), None)]

    assert due_at(always_open(), started=started, target_minutes=240, pauses=paused) is None
    resumed = [Pause(berlin(2026, 11, 30, 11), berlin(2026, 12, 2, 11))]
    assert due_at(always_open(), started=started, target_minutes=240, pauses=resumed) == berlin(
        2026, 12, 2, 14
    )


def test_the_same_timeline_always_gives_the_same_due_time():
    pauses = [Pause(berlin(2026, 11, 30, 12), berlin(2026, 11, 30, 15))]
    runs = {
        due_at(OFFICE, started=berlin(2026, 11, 30, 9), target_minutes=720, pauses=pauses)
        for _ in range(3)
    } | {
        due_at(
            OFFICE,
            started=berlin(2026, 11, 30, 9),
            target_minutes=720,
            pauses=list(reversed(pauses)),
        )
    }

    assert runs == {berlin(2026, 12, 1, 16)}


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(berlin(2026, 11, 30, 10), 240, id="at-start"),
        pytest.param(berlin(2026, 11, 30, 11, 30), 180, id="while-paused"),
        pytest.param(berlin(2026, 11, 30, 14), 60, id="after-resume"),
        # due Monday 15:00; overdue 15-17 and 9-10 the next morning
        pytest.param(berlin(2026, 12, 1, 10), -180, id="overdue-next-morning"),
    ],
)
def test_remaining_business_minutes(now, expected):
    pauses = [Pause(berlin(2026, 11, 30, 11), berlin(2026, 11, 30, 12))]

    left = remaining_minutes(
        OFFICE, started=berlin(2026, 11, 30, 10), target_minutes=240, pauses=pauses, now=now
    )

    assert left == expected


def test_business_minutes_over_more_than_a_year_count_every_day():
    # Two years of Berlin office hours: 2025-12-01 to 2027-12-01 has 522 weekdays; one of them
    # is a holiday of OFFICE (2026-12-25; the 26th is a Saturday).
    start, end = berlin(2025, 12, 1, 0), berlin(2027, 12, 1, 0)

    assert OFFICE.minutes_between(start, end) == (522 - 1) * 8 * 60


def test_measuring_a_calendar_that_never_opens_ends():
    closed = BusinessCalendar(
        intervals=(OpenInterval(0, 9 * H, 17 * H),),
        holidays=frozenset(date(2026, 11, 30) + timedelta(weeks=n) for n in range(200)),
    )

    assert closed.minutes_between(berlin(2026, 11, 30, 8), berlin(2029, 11, 30, 8)) == 0
