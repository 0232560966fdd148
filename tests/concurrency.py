"""Real threads, real transactions: each call runs in its own thread and database connection.

Two ways to make writes meet:
- `race(*calls)` starts every call behind one barrier (whatever interleaving the scheduler
  picks; the race harness runs every write route this way);
- `held(call)` runs a call inside a transaction that stays open (its row locks held, its
  writes uncommitted) until the block exits; `in_background(call)` then starts the competing
  write and `wait_until_blocked(...)` returns once it waits on a lock (or has finished). That
  pins one exact interleaving, so a regression test fails on the code it guards every time.
Waiting is on a condition (a barrier, an event, PostgreSQL's lock table), never a fixed sleep.
"""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

JOIN_TIMEOUT = 60


def race(*calls) -> list:
    """Start every call behind one barrier; return each result, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # the outcome is what the test inspects
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    return results


class Background:
    """One call running in its own thread and database connection."""

    def __init__(self, call: Callable[[], Any]):
        self._result: Any = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call):
        try:
            self._result = call()
        except Exception as exc:  # the outcome is what the test inspects
            self._result = exc
        finally:
            connection.close()
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def result(self) -> Any:
        """Wait for the call; return its result, or the exception it raised."""
        self._thread.join(timeout=JOIN_TIMEOUT)
        if self._thread.is_alive():
            raise AssertionError("a background call did not finish (a lock never released?)")
        return self._result


def in_background(call: Callable[[], Any]) -> Background:
    """Start `call` in its own thread and connection."""
    return Background(call)


def lock_waiters() -> int:
    """How many other connections to this test database wait on a lock right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def wait_until(predicate: Callable[[], bool], *, what: str) -> None:
    """Poll a condition until it holds (a lock queue is not observable any other way)."""
    deadline = time.monotonic() + JOIN_TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting until {what}")
        time.sleep(0.002)


def wait_until_blocked(*calls: Background, waiters: int | None = None) -> None:
    """Return once every call has finished or waits on a lock (`waiters`: how many of them
    are expected to wait at least, default: all of those still running)."""

    def settled() -> bool:
        running = sum(not call.done for call in calls)
        needed = running if waiters is None else min(waiters, running)
        return running == 0 or lock_waiters() >= needed

    wait_until(settled, what="the calls wait on a lock or finish")


@contextmanager
def held(call: Callable[[], Any]) -> Iterator[Background]:
    """Run `call` in a transaction of its own thread and keep the transaction open, its row
    locks held and its writes uncommitted, until the block exits; then commit it.

    Yields the background call; its `result()` is what `call` returned (after the commit).
    Raises whatever `call` raised before the block is entered.
    """
    ready, release = threading.Event(), threading.Event()
    holding: list[bool] = []

    def run():
        try:
            with transaction.atomic():
                result = call()
                holding.append(True)
                ready.set()
                release.wait(timeout=JOIN_TIMEOUT)
            return result
        finally:
            ready.set()  # also when `call` raised: the caller stops waiting

    background = in_background(run)
    ready.wait(timeout=JOIN_TIMEOUT)
    if not holding:
        failure = background.result()
        raise AssertionError(f"the held call did not get going: {failure!r}")
    try:
        yield background
    finally:
        release.set()
        outcome = background.result()
        if isinstance(outcome, Exception):
            raise AssertionError(f"the held call failed at commit: {outcome!r}") from outcome
