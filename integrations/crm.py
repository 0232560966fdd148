"""What the CRM clients share: the contact we push, the two outcomes of a failed call, and the
small pure helpers both clients use to build those outcomes.

No HTTP happens here. Each provider's requests live in its own client module
(``integrations.hubspot.client``, ``integrations.salesforce.client``); this module only knows
the contract between those clients and the sync code:

- ``CrmRetryable``: the call may succeed later (429, 5xx, connection trouble, the org's API
  quota). ``retry_after`` is the provider's ``Retry-After`` in whole seconds when it sent one.
- ``CrmFailed``: retrying the same call will not help (bad credentials, validation, a redirect,
  an ambiguous match, a response we cannot read). A human has to look.

Neither exception ever carries the access token, the request headers or a full response body:
reasons are cut to ``REASON_LIMIT`` characters and any occurrence of the token is masked.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

REASON_LIMIT = 300

_WHITESPACE = re.compile(r"\s+")


class CrmError(Exception):
    """Base of the two outcomes below (catch this to handle both)."""


class CrmRetryable(CrmError):
    """A transient failure: try again later, after ``retry_after`` seconds if it is not None."""

    def __init__(self, reason: str, *, retry_after: int | None = None, status: int | None = None):
        self.reason = reason
        self.retry_after = retry_after
        self.status = status
        super().__init__(reason)

    def __str__(self) -> str:
        prefix = f"HTTP {self.status}: " if self.status is not None else ""
        suffix = f" (retry after {self.retry_after}s)" if self.retry_after is not None else ""
        return f"{prefix}{self.reason}{suffix}"


class CrmFailed(CrmError):
    """A permanent failure: the same call will fail again. ``status`` is None when no HTTP
    response was involved (a refused destination, an unusable URL)."""

    def __init__(self, status: int | None, reason: str):
        self.status = status
        self.reason = reason
        super().__init__(status, reason)

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.reason}" if self.status is not None else self.reason


@dataclass(frozen=True)
class ContactData:
    """One customer as the CRM should see it. ``tenantdesk_id`` is our customer's public id."""

    email: str
    name: str
    company: str
    phone: str
    tier: str
    tenantdesk_id: str


class CrmClient(Protocol):
    def upsert_contact(self, contact: ContactData, *, known_id: str | None = None) -> str:
        """Create or update the contact (`known_id`: the CRM id stored from an earlier sync,
        which finds the contact even after its email changed); return the CRM's id for it."""
        ...

    def delete_contact(self, crm_id: str) -> None:
        """Delete (archive) the contact; a contact that is already gone is success."""
        ...

    def read_property(self, crm_id: str, name: str) -> str | None:
        """The contact's value of one property/field; None when it has none."""
        ...


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> int | None:
    """``Retry-After`` (RFC 9110 §10.2.3) as whole seconds from now, or None when absent or
    unreadable. Either delta-seconds (``"30"``) or an HTTP-date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``); a date in the past gives 0."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to str.isdigit()
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" in the date: UTC by RFC 5322
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0, math.ceil((when - now).total_seconds()))


def short_reason(text: object, *, secret: str = "") -> str:
    """A provider's message made safe to keep: one line, the secret masked, at most
    ``REASON_LIMIT`` characters."""
    # NUL cannot be stored in PostgreSQL text: a message carrying one must not fail the row.
    text = _WHITESPACE.sub(" ", str(text).replace("\x00", "")).strip()
    if secret:
        text = text.replace(secret, "***")
    if len(text) > REASON_LIMIT:
        text = text[: REASON_LIMIT - 1] + "…"
    return text


def split_name(name: str) -> tuple[str, str]:
    """``"Ada King Lovelace"`` → ``("Ada", "King Lovelace")``: the first word is the first name,
    the rest the last name (keeps particles such as "van"/"de" with the surname). One word →
    ``(word, "")``; blank → ``("", "")``. Each client decides what to do with a blank part."""
    parts = name.split(None, 1)
    if not parts:
        return "", ""
    if len(parts) == 1:
        return parts[0], ""
    return parts[0], parts[1].strip()


def is_identifier(name: str | None) -> bool:
    """An API name a CRM field/property can have (letters, digits, underscores): checked before
    a configured name goes into a URL path or query."""
    return bool(name) and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) is not None


def error_for_status(status: int, *, reason: str, retry_after: str | None = None) -> CrmError:
    """The outcome of a non-2xx HTTP status (``reason`` already made short and safe):

    - 408, 425, 429 and every 5xx → ``CrmRetryable`` with the parsed ``Retry-After``;
    - any 3xx → ``CrmFailed``: the clients never follow redirects (a redirect would carry the
      bearer token to wherever it points, and a CRM API does not legitimately redirect);
    - every other status → ``CrmFailed``.
    """
    if status in (408, 425, 429) or 500 <= status <= 599:
        return CrmRetryable(reason, retry_after=parse_retry_after(retry_after), status=status)
    if 300 <= status <= 399:
        return CrmFailed(status, f"redirect not followed: {reason}")
    return CrmFailed(status, reason)
