"""Markdown to sanitized HTML: what an article's `body_html` holds.

markdown-it-py renders CommonMark (raw HTML passes through it); nh3 (ammonia) then keeps only an
allow-list of tags and attributes, links and images only with http, https or mailto URLs (or
relative ones), and gives every link rel="noopener noreferrer". So no script, no style, no event
handler attribute, no javascript: or data: URL survives, however it was spelled or nested.
"""

import re
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
        "code", "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody",
        "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"

# What a browser ignores inside a URL's scheme (tabs, newlines, controls, spaces): once removed,
# a "scheme:" in front must be one of URL_SCHEMES, even when nh3 took the URL as relative
# ("java%09script:" decodes to a tab inside the word).
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")


def _url_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute not in ("href", "src"):
        return value
    plain = _IGNORED_IN_SCHEME.sub("", unquote(value)).lower()
    scheme = _SCHEME.match(plain)
    if scheme and scheme.group(1) not in URL_SCHEMES:
        return None
    return value


_markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def html_sanitize(html: str) -> str:
    """Return `html` with everything outside the allow-list removed."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style", "iframe", "svg", "math", "object", "template"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_url_filter,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def markdown_render(body: str) -> str:
    """Return the sanitized HTML of the Markdown `body`."""
    return html_sanitize(_markdown.render(body))
