"""Full-text article search through the SECURITY DEFINER function `kb_search` (migration 0002,
docs/knowledge-base.md): language-aware, ranked title above excerpt/tags above body, the last
word matched as a prefix (type-ahead), with HTML-safe highlights.

The user's text never reaches tsquery syntax: it is split into words (letters and digits), each
passed as a quoted lexeme, so operators, quotes and backslashes cannot be injected.
"""

import html
import re
from dataclasses import dataclass

from django.db import connection

from tenants.context import require_tenant_id

SEARCH_LIMIT = 20
SUGGESTION_LIMIT = 5
# Words taken from a query, and from a ticket for its suggestions.
MAX_QUERY_WORDS = 16
MAX_SUGGESTION_WORDS = 32
MAX_WORD_LENGTH = 100
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_START, _STOP = "\ue000", "\ue001"


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    rank: float
    title_highlight: str
    text_highlight: str


def _words(text: str, limit: int) -> list[str]:
    # Longer "words" (pasted hashes, base64) are no help and PostgreSQL skips them anyway.
    return [w for w in _WORD_RE.findall(text or "") if len(w) <= MAX_WORD_LENGTH][:limit]


def _lexeme(word: str) -> str:
    # \w+ holds no quote or backslash; doubled anyway, so the literal can never be broken.
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def build_prefix_query(text: str) -> str:
    """AND of the words, the last one a prefix: `'jammed' & 'prin':*`; '' for no words."""
    words = _words(text, MAX_QUERY_WORDS)
    if not words:
        return ""
    terms = [_lexeme(w) for w in words]
    terms[-1] += ":*"
    return " & ".join(terms)


def build_any_query(text: str) -> str:
    """OR of the words (a ticket's subject and description); '' for no words."""
    words = list(dict.fromkeys(w.lower() for w in _words(text, 10_000)))[:MAX_SUGGESTION_WORDS]
    return " | ".join(_lexeme(w) for w in words)


def render_highlight(raw: str | None) -> str:
    """HTML-escape a headline, then turn its markers (and only they) into <mark> tags."""
    escaped = html.escape(raw or "", quote=True)
    return escaped.replace(_START, "<mark>").replace(_STOP, "</mark>")


def article_search_hits(*, tsquery: str, status: str | None, limit: int) -> list[SearchHit]:
    """The current tenant's best `limit` matches of `tsquery` (built by build_*_query), with
    rendered highlights; `status` narrows to one status. One query. Raises
    TenantContextMissing outside a tenant context."""
    require_tenant_id()
    if not tsquery:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM kb_search(%s, %s, %s)", [tsquery, status, limit])
        rows = cursor.fetchall()
    # The body's highlight is cut from the article's HTML with its tags dropped (kb_search):
    # its entities (&amp;) are decoded before render_highlight escapes it again.
    return [
        SearchHit(article_id, rank, render_highlight(title), render_highlight(html.unescape(text)))
        for article_id, rank, title, text in rows
    ]
