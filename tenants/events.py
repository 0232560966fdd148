"""Domain events: the bus and the registry. Producers publish, consumers subscribe.

Each producing app declares its events in its own `events.py` as frozen dataclasses (subclasses
of `Event`, decorated with `@register`): the class is the contract, its fields the payload.
`publish(event, tenant=…, actor=…)` wraps the event in an `Envelope` — a time-ordered unique
id (it becomes the webhook id and the notification dedupe key), the type, the tenant, when,
who, its visibility and the contract's version — and hands it to the subscribers.

Handlers run synchronously inside the publisher's transaction, so whatever they write (outbox
rows for notifications, webhooks, CRM sync) commits or rolls back with the change itself.
Producers never import consumers: consumers subscribe in their AppConfig.ready().

Two scopes: tenant events (everything a tenant's webhooks and notification settings may
choose from; `event_types()` lists them and `GET t/<slug>/event-types/` serves the list) and
platform events (account emails of people not yet in any tenant; no tenant, never listed).
"""

import dataclasses
import types
import typing
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal

from django.utils import timezone
from uuid6 import uuid7

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Tenant

PUBLIC = "public"
INTERNAL = "internal"
# An event type whose visibility depends on the event (a comment: a reply or an internal note).
PER_EVENT = "per_event"

Visibility = Literal["public", "internal"]


def payload(description: str, **kwargs: Any) -> Any:
    """A documented payload field of an event contract."""
    return dataclasses.field(metadata={"description": description}, **kwargs)


@dataclass(frozen=True)
class Event:
    """Base of every event contract. Subclasses set the class attributes and declare their
    payload as dataclass fields made with `payload(...)`."""

    type: ClassVar[str]
    description: ClassVar[str]
    # PUBLIC, INTERNAL, or PER_EVENT (then the subclass overrides `visibility_of`).
    visibility: ClassVar[str] = PUBLIC
    # The payload contract's version (the envelope's `version`); a payload field may be named
    # `version` too (the resource's version).
    contract_version: ClassVar[int] = 1
    # Tenant events are listed and reach webhooks/notifications settings; platform events
    # (scope "platform") have no tenant.
    scope: ClassVar[str] = "tenant"

    def visibility_of(self) -> Visibility:
        """Whether this event carries team-only data (internal) or not (public)."""
        return PUBLIC if self.visibility == PUBLIC else INTERNAL

    def data(self) -> dict[str, Any]:
        """The payload as JSON-ready data."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Envelope:
    """One published event as every consumer sees it (and as a webhook carries it)."""

    id: str  # UUIDv7: unique and time-ordered
    type: str
    tenant_id: int | None  # in-process only (tasks take it); the wire names the tenant's slug
    tenant: str | None
    occurred_at: datetime
    actor: dict[str, str | None]  # {"type": member|api_key|customer|system, "id": …}
    visibility: Visibility
    version: int
    data: dict[str, Any]
    event: Event = dataclasses.field(repr=False, compare=False)
    # In this process only: the object the event is about as the publisher holds it (a new
    # ticket), so that a subscriber in the same transaction need not read it again; None when
    # the publisher passed none. Never leaves the process.
    source: Any = dataclasses.field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The envelope as JSON-ready data, as it leaves the process (a webhook body): the
        tenant by its slug (internal ids are never exposed); the typed event stays out."""
        return {
            "id": self.id,
            "type": self.type,
            "tenant": self.tenant,
            "occurred_at": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "actor": dict(self.actor),
            "visibility": self.visibility,
            "version": self.version,
            "data": self.data,
        }


# --- Registry ---------------------------------------------------------------------------------

_registry: dict[str, type[Event]] = {}


def register(cls: type[Event]) -> type[Event]:
    """Add an event contract to the registry (a class decorator); one class per type."""
    if not (dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen):
        raise TypeError(f"{cls.__name__} must be a frozen dataclass")
    for attribute in ("type", "description"):
        if not getattr(cls, attribute, None):
            raise TypeError(f"{cls.__name__} must set {attribute}")
    if cls.visibility not in (PUBLIC, INTERNAL, PER_EVENT):
        raise TypeError(f"{cls.__name__}: unknown visibility {cls.visibility!r}")
    if cls.visibility == PER_EVENT and cls.visibility_of is Event.visibility_of:
        # Otherwise every event of the type would go out as public, internal notes included.
        raise TypeError(f"{cls.__name__}: a per_event type must say, per event, visibility_of")
    undocumented = [f.name for f in dataclasses.fields(cls) if "description" not in f.metadata]
    if undocumented:
        raise TypeError(f"{cls.__name__}: undocumented payload fields {undocumented}")
    known = _registry.get(cls.type)
    if known is not None and (known.__module__, known.__qualname__) != (
        cls.__module__,
        cls.__qualname__,
    ):
        raise ValueError(f"event type {cls.type!r} is declared twice")
    _registry[cls.type] = cls
    return cls


def event_class(event_type: str) -> type[Event]:
    """Return the contract registered for `event_type`; ValueError when there is none."""
    try:
        return _registry[event_type]
    except KeyError:
        raise ValueError(f"unknown event {event_type!r}") from None


def _json_type(annotation: Any) -> str:
    # Payload fields are plain JSON values; say which, for the people wiring webhooks.
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        annotation = args[0]
        origin = typing.get_origin(annotation)
    base = origin or annotation
    name = {
        str: "string",
        int: "integer",
        bool: "boolean",
        float: "number",
        list: "array",
        tuple: "array",
        dict: "object",
    }.get(base, "string")
    return f"{name} or null" if nullable else name


def event_types() -> list[dict[str, Any]]:
    """Describe every tenant event type: type, description, visibility, version, payload."""
    described = []
    for event_type in sorted(_registry):
        cls = _registry[event_type]
        if cls.scope != "tenant":
            continue
        hints = typing.get_type_hints(cls)
        described.append(
            {
                "type": cls.type,
                "description": cls.description,
                "visibility": cls.visibility,
                "version": cls.contract_version,
                "fields": [
                    {
                        "name": f.name,
                        "type": _json_type(hints[f.name]),
                        "description": f.metadata["description"],
                    }
                    for f in dataclasses.fields(cls)
                ],
            }
        )
    return described


# --- Bus --------------------------------------------------------------------------------------

Handler = Callable[[Envelope], None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event_type: str | type[Event]) -> Callable[[Handler], Handler]:
    """Register `handler(envelope)` for one event type (its name or its class)."""
    name = event_type if isinstance(event_type, str) else event_type.type
    event_class(name)

    def add(handler: Handler) -> Handler:
        if handler not in _subscribers[name]:
            _subscribers[name].append(handler)
        return handler

    return add


_all_subscribers: list[Handler] = []


def subscribe_all(handler: Handler) -> Handler:
    """Register `handler(envelope)` for every tenant event, after the per-type handlers (the
    webhooks fan-out: endpoints choose their types themselves)."""
    if handler not in _all_subscribers:
        _all_subscribers.append(handler)
    return handler


def unsubscribe(event_type: str | type[Event], handler: Handler) -> None:
    """Remove a handler (tests)."""
    name = event_type if isinstance(event_type, str) else event_type.type
    if handler in _subscribers[name]:
        _subscribers[name].remove(handler)


def actor_ref(actor: Actor | None, *, customer=None) -> dict[str, str | None]:
    """Who caused an event, as the envelope names it: a member (their user id), an API key,
    a customer (their id), an integration (a CRM connection's id), or the system."""
    if customer is not None:
        return {"type": "customer", "id": str(customer.public_id)}
    if actor is not None and actor.api_key is not None:
        return {"type": "api_key", "id": str(actor.api_key.public_id)}
    if actor is not None and actor.user is not None:
        return {"type": "member", "id": str(actor.user.public_id)}
    if actor is not None and actor.integration is not None:
        return {"type": "integration", "id": actor.integration}
    return {"type": "system", "id": None}


_silenced: ContextVar[bool] = ContextVar("events_silenced", default=False)


@contextmanager
def silenced() -> Iterator[None]:
    """Publish to no subscriber inside the block: no notification, no webhook. For data that
    is not news to anyone (the demo seed); never around a user's request."""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def publish(
    event: Event, *, tenant: Tenant | None, actor: Actor | None, customer=None, source=None
) -> Envelope:
    """Wrap `event` in its envelope and deliver it to the subscribers, in the caller's
    transaction. `tenant` is None only for platform events; `customer` names a customer as
    the actor (their reply, their help-center request); `source` is the object the event is
    about, as written in this transaction (Envelope.source)."""
    cls = type(event)
    if _registry.get(cls.type) is not cls:
        raise ValueError(f"unregistered event {cls.__name__}")
    if (tenant is None) != (cls.scope == "platform"):
        raise ValueError(f"{cls.type}: a tenant event needs a tenant, a platform event none")
    envelope = Envelope(
        id=str(uuid7()),
        type=cls.type,
        tenant_id=tenant.pk if tenant is not None else None,
        tenant=tenant.slug if tenant is not None else None,
        occurred_at=timezone.now(),
        actor=actor_ref(actor, customer=customer),
        visibility=event.visibility_of(),
        version=cls.contract_version,
        data=event.data(),
        event=event,
        source=source,
    )
    handlers = (
        []
        if _silenced.get()
        else [*_subscribers[cls.type], *(_all_subscribers if cls.scope == "tenant" else ())]
    )
    if tenant is None or not handlers:
        for handler in handlers:
            handler(envelope)
        return envelope
    # Subscribers write the tenant's rows (outbox rows): inside its context, wherever the
    # publisher stands (creating a tenant or accepting an invitation happens before any).
    with tenant_context(tenant):
        for handler in handlers:
            handler(envelope)
    return envelope
