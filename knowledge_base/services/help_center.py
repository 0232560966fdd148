"""What anonymous visitors of the public help center may write: article views, feedback votes
and ticket requests (docs/knowledge-base.md, "Help center").

Decisions:
- Votes are one per visitor per article per UTC day without storing who voted: the visitor
  (the client's address group) only ever enters a keyed hash (HMAC with SECRET_KEY, the
  tenant, the article and the day), kept in the cache until the day ends. A second vote that
  day is accepted and not counted; the answer does not say which.
- A ticket request finds or creates the customer by email (an existing customer's name is
  never changed by a visitor) and opens a `web` ticket; the same request sent twice within
  REQUEST_DUPLICATE_SECONDS (a double click, a resent form) opens one ticket, checked in the
  database under the customer's lock (never in a cache a failed transaction cannot undo).
- Views are counted after the request commits, with one UPDATE in a transaction of its own,
  so the article's row lock lives for that statement only.
- Votes are per client address (an IPv6 client by its /64), not per browser: a changed user
  agent does not vote again.
"""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from knowledge_base.models import Article, ArticleStatus
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.validation import boolean_check, email_check, fields_clean, text_check
from tickets.models import Channel, Ticket
from tickets.services.customers import customer_find_or_create
from tickets.services.tickets import ticket_create

REQUEST_DUPLICATE_SECONDS = 600
SUBJECT_MAX_LENGTH = Ticket._meta.get_field("subject").max_length
DESCRIPTION_MAX_LENGTH = 20_000
VISITOR_MAX_LENGTH = 1000
VOTE_RESERVATION_SECONDS = 60


def _digest(*parts: object) -> str:
    message = "\x1f".join(str(part) for part in parts).encode("utf-8", "surrogatepass")
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _seconds_left_today(now: datetime) -> int:
    tomorrow = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return int((tomorrow - now).total_seconds()) + 60


def article_view_record(*, tenant: Tenant, article: Article) -> None:
    """Count one view of a published article once the caller's transaction commits, in a
    short transaction of its own (one UPDATE), so the article's row lock is held for that
    statement only, never while the answer is rendered."""
    tenant_id, article_id = tenant.pk, article.pk

    def count() -> None:
        with tenant_context(tenant_id):
            Article.objects.filter(
                tenant_id=tenant_id, pk=article_id, status=ArticleStatus.PUBLISHED
            ).update(view_count=F("view_count") + 1)

    transaction.on_commit(count)


@transaction.atomic
def article_feedback_record(
    *, tenant: Tenant, article: Article, helpful: Any, visitor: str, now: datetime | None = None
) -> bool:
    """Count a visitor's helpful / not-helpful vote on a published article, once per visitor
    per article per UTC day; return whether it counted. Nothing identifying the visitor is
    stored (see the module's docstring).

    The vote is reserved for VOTE_RESERVATION_SECONDS before it is counted, and held for the
    rest of the day only once the count commits: two votes at once count once, and a vote
    whose transaction failed blocks the visitor for a minute, not a day.

    Raises ValidationError when `helpful` is not a boolean.
    """
    helpful = boolean_check("helpful", helpful)
    now = now or datetime.now(UTC)
    visitor = str(visitor)[:VISITOR_MAX_LENGTH]
    key = "kb-vote:" + _digest(tenant.pk, article.pk, now.date().isoformat(), visitor)
    if not cache.add(key, 1, timeout=VOTE_RESERVATION_SECONDS):
        return False
    counter = "helpful_count" if helpful else "not_helpful_count"
    updated = Article.objects.filter(
        tenant=tenant, pk=article.pk, status=ArticleStatus.PUBLISHED
    ).update(**{counter: F(counter) + 1})
    if not updated:
        cache.delete(key)
        return False
    day_left = _seconds_left_today(now)
    transaction.on_commit(lambda: cache.set(key, 1, timeout=day_left))
    return True


_REQUEST_RULES = {
    "email": email_check,
    "name": lambda field, value: text_check(field, value, max_length=200),
    "subject": lambda field, value: text_check(
        field, value, max_length=SUBJECT_MAX_LENGTH, blank=False
    ),
    "description": lambda field, value: text_check(
        field, value, max_length=DESCRIPTION_MAX_LENGTH, blank=False
    ),
}


@transaction.atomic
def help_request_submit(
    *,
    tenant: Tenant,
    actor: Actor,
    email: str,
    subject: str,
    description: str,
    name: str = "",
    now: datetime | None = None,
) -> Ticket | None:
    """Open a `web` ticket for a help-center visitor: the customer with this email, found or
    created. Returns None when the customer has a web ticket with the same subject and
    description from the last REQUEST_DUPLICATE_SECONDS (a double click, a resent form: the
    ticket opened then stands for both).

    The duplicate check runs under the customer's lock (customer_find_or_create), which a
    concurrent identical request waits for, so two at once open one ticket; and since it reads
    committed tickets, a request whose transaction failed never suppresses its resend.

    Raises ValidationError for a bad field (ticket_create validates each as for any ticket).
    """
    fields = fields_clean(
        {"email": email, "name": name, "subject": subject, "description": description},
        _REQUEST_RULES,
    )
    customer = customer_find_or_create(
        tenant=tenant, actor=actor, email=fields["email"], name=fields["name"]
    )
    since = (now or timezone.now()) - timedelta(seconds=REQUEST_DUPLICATE_SECONDS)
    duplicate = Ticket.objects.filter(
        tenant=tenant,
        requester=customer,
        channel=Channel.WEB,
        created_at__gte=since,
        subject=fields["subject"],
        description=fields["description"],
    ).exists()
    if duplicate:
        return None
    return ticket_create(
        tenant=tenant,
        actor=actor,
        subject=fields["subject"],
        description=fields["description"],
        requester=customer,
        channel=Channel.WEB,
    )
