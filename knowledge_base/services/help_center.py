"""What anonymous visitors of the public help center may write: article views, feedback votes
and ticket requests (docs/knowledge-base.md, "Help center").

Decisions:
- Votes are one per visitor per article per UTC day without storing who voted: the visitor
  (client address and user agent) only ever enters a keyed hash (HMAC with SECRET_KEY, the
  tenant, the article and the day), kept in the cache until the day ends. A second vote that
  day is accepted and not counted; the answer does not say which.
- A ticket request finds or creates the customer by email (an existing customer's name is
  never changed by a visitor) and opens a `web` ticket; the same request sent twice within
  REQUEST_DUPLICATE_SECONDS (a double click, a resent form) opens one ticket.
- Views are counted with one UPDATE on the article, the request's last statement, so the
  row lock lives for its commit only.
"""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from knowledge_base.models import Article, ArticleStatus
from tenants.access import Actor
from tenants.models import Tenant
from tenants.validation import boolean_check, email_check, fields_clean, text_check
from tickets.models import Channel, Ticket
from tickets.services.tickets import ticket_create

REQUEST_DUPLICATE_SECONDS = 600
SUBJECT_MAX_LENGTH = Ticket._meta.get_field("subject").max_length
DESCRIPTION_MAX_LENGTH = 20_000
VISITOR_MAX_LENGTH = 1000


def _digest(*parts: object) -> str:
    message = "\x1f".join(str(part) for part in parts).encode("utf-8", "surrogatepass")
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _seconds_left_today(now: datetime) -> int:
    tomorrow = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return int((tomorrow - now).total_seconds()) + 60


def article_view_record(*, tenant: Tenant, article: Article) -> None:
    """Count one view of a published article (one UPDATE; no row read)."""
    Article.objects.filter(tenant=tenant, pk=article.pk, status=ArticleStatus.PUBLISHED).update(
        view_count=F("view_count") + 1
    )


@transaction.atomic
def article_feedback_record(
    *, tenant: Tenant, article: Article, helpful: Any, visitor: str, now: datetime | None = None
) -> bool:
    """Count a visitor's helpful / not-helpful vote on a published article, once per visitor
    per article per UTC day; return whether it counted. Nothing identifying the visitor is
    stored (see the module's docstring).

    Raises ValidationError when `helpful` is not a boolean.
    """
    helpful = boolean_check("helpful", helpful)
    now = now or datetime.now(UTC)
    visitor = str(visitor)[:VISITOR_MAX_LENGTH]
    key = "kb-vote:" + _digest(tenant.pk, article.pk, now.date().isoformat(), visitor)
    if not cache.add(key, 1, timeout=_seconds_left_today(now)):
        return False
    counter = "helpful_count" if helpful else "not_helpful_count"
    updated = Article.objects.filter(
        tenant=tenant, pk=article.pk, status=ArticleStatus.PUBLISHED
    ).update(**{counter: F(counter) + 1})
    return bool(updated)


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
    *, tenant: Tenant, actor: Actor, email: str, subject: str, description: str, name: str = ""
) -> Ticket | None:
    """Open a `web` ticket for a help-center visitor: the customer with this email, found or
    created. Returns None when the same request was submitted within the last
    REQUEST_DUPLICATE_SECONDS (the ticket opened then stands for both).

    Raises ValidationError for a bad field (ticket_create validates each as for any ticket).
    """
    fields = fields_clean(
        {"email": email, "name": name, "subject": subject, "description": description},
        _REQUEST_RULES,
    )
    key = "help-request:" + _digest(
        tenant.pk, fields["email"].lower(), fields["subject"], fields["description"]
    )
    if not cache.add(key, 1, timeout=REQUEST_DUPLICATE_SECONDS):
        return None
    try:
        return ticket_create(
            tenant=tenant,
            actor=actor,
            subject=fields["subject"],
            description=fields["description"],
            customer_email=fields["email"],
            customer_name=fields["name"],
            channel=Channel.WEB,
        )
    except BaseException:
        cache.delete(key)  # nothing was opened: the visitor may send it again
        raise
