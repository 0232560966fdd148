"""Domain events: producers publish, consumers subscribe (in their AppConfig.ready()).

Handlers run synchronously inside the publisher's transaction, so whatever they write (outbox
rows for notifications, webhooks, CRM sync) commits or rolls back with the change itself.
Producers never import consumers.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

EVENTS = frozenset(
    {
        "ticket.created",
        "ticket.updated",
        "ticket.status_changed",
        "ticket.assigned",
        "ticket.escalated",
        "ticket.sla_breached",
        "ticket.merged",
        "ticket.deleted",
        "comment.created",
        "customer.created",
        "customer.updated",
        "customer.erased",
        "article.published",
    }
)

Handler = Callable[..., None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str) -> Callable[[Handler], Handler]:
    """Register `handler(event=..., tenant=..., payload=...)` for one event name."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")

    def register(handler: Handler) -> Handler:
        if handler not in _subscribers[event]:
            _subscribers[event].append(handler)
        return handler

    return register


def unsubscribe(event: str, handler: Handler) -> None:
    """Remove a handler (tests)."""
    if handler in _subscribers[event]:
        _subscribers[event].remove(handler)


def publish(event: str, *, tenant, payload: dict[str, Any]) -> None:
    """Deliver an event to its subscribers, in the caller's transaction."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    for handler in list(_subscribers[event]):
        handler(event=event, tenant=tenant, payload=payload)
