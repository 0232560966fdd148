"""Capture the domain events a block publishes (the bus's envelopes)."""

from collections.abc import Iterator
from contextlib import contextmanager

from tenants import events
from tenants.events import Envelope


@contextmanager
def published(*event_types: str) -> Iterator[list[Envelope]]:
    """Collect every envelope of the given types published inside the block, in order."""
    seen: list[Envelope] = []
    for event_type in event_types:
        events.subscribe(event_type)(seen.append)
    try:
        yield seen
    finally:
        for event_type in event_types:
            events.unsubscribe(event_type, seen.append)
