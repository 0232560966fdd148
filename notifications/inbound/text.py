"""The text of an inbound email: HTML made plain text, quoted history cut off, bounded.

- `html_to_text`: the HTML part of a message that has no plain-text part, as plain text. Built
  on the standard library's HTML parser: markup, scripts and styles never reach the result;
  entities are decoded; block elements end lines; a <blockquote> becomes "> " lines, so the
  quoted history of an HTML reply is cut like a plain-text one.
- `quoted_history_strip`: the new text of a reply, without the history its mail client quoted
  below it. Three recognisable shapes, tried in this order:
    1. an attribution or separator line and all that follows: "On … wrote:" (and its German,
       French, Spanish, Dutch, Swedish, Portuguese and Russian forms), "-----Original
       Message-----", Outlook's line of underscores, "Begin forwarded message:" — recognised
       by quotequail (Close's maintained quote detector, MIT);
    2. an Outlook header block without a separator ("From: …" then "Sent:"/"Date:" and
       "Subject:" lines);
    3. a trailing block of ">" lines, with the line introducing it ("Ann wrote:"); answers
       interleaved between quoted lines stay.
  When nothing but the history would remain, the text is kept whole.

Every function here runs in time linear in its input: quotequail's patterns are quadratic on a
single very long line, so it only ever sees lines cut to `_PROBE_LINE_CHARS` (the cut is then
applied to the original lines, which stay untouched), of a text cut to `_STRIP_MAX_CHARS`.
"""

import re
import unicodedata
from html.parser import HTMLParser

import quotequail

# Longest line quotequail is shown (attribution lines are far shorter), and how much of a
# text is searched for history at all (more than twice the longest stored comment).
_PROBE_LINE_CHARS = 250
_STRIP_MAX_CHARS = 120_000
# How far below a "From:" line the rest of an Outlook header block is looked for.
_OUTLOOK_BLOCK_LINES = 6
_OUTLOOK_FROM = re.compile(r"^\s{0,4}\*?From\*?:\s*\S", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(r"^\s{0,4}\*?(Sent|Date)\*?:\s*\S", re.IGNORECASE)
_OUTLOOK_SUBJECT = re.compile(r"^\s{0,4}\*?Subject\*?:", re.IGNORECASE)
_QUOTED_LINE = re.compile(r"^\s{0,4}>")
# A short line ending in a colon right above a quoted block introduces it ("Ann wrote:").
_INTRODUCTION = re.compile(r"^[^>\n]{1,200}:\s*$")

# Characters never kept: C0/C1 controls but tab and newline (NUL among them), format
# characters (bidi overrides, zero-width joiners), unassigned, private use and lone surrogates.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_KEPT_CONTROLS = frozenset("\n\t")


def text_clean(text: str) -> str:
    """`text` as storable text: lines end in \\n, no control, format or surrogate characters
    (PostgreSQL refuses NUL, UTF-8 refuses lone surrogates), no trailing spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(
        ch
        for ch in text
        if ch in _KEPT_CONTROLS or unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def text_truncate(text: str, *, limit: int) -> str:
    """`text` cut to at most `limit` characters, saying so at the end when it was cut."""
    if len(text) <= limit:
        return text
    note = "\n\n[… the rest of this email was cut: it was longer than the limit.]"
    return text[: max(limit - len(note), 0)].rstrip() + note


# --- HTML -------------------------------------------------------------------------------------

# Elements whose content is never text.
_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "math"})
# Elements that end the current line where they start and where they end.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
        "tbody", "tfoot", "thead", "tr", "ul",
    }
)  # fmt: skip
# Table cells: one line per row, cells separated by a space.
_CELLS = frozenset({"td", "th"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "col", "area", "base"})
_SPACES = re.compile(r"[ \t\n\r\f\v]+")


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML document as lines, each with its <blockquote> depth."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self._line: list[str] = []
        self._depth = 0  # open <blockquote>s
        self._skipping: list[str] = []  # open elements whose content is skipped
        self._pre = 0

    def _end_line(self) -> None:
        text = "".join(self._line)
        text = text.rstrip(" ") if self._pre else text.strip(" ")
        self._line = []
        if text or (self.lines and self.lines[-1][1]):  # at most one blank line in a row
            self.lines.append((self._depth, text))

    def handle_starttag(self, tag, attrs):
        if self._skipping:
            if tag == self._skipping[-1] and tag not in _VOID:
                self._skipping.append(tag)
            return
        if tag in _SKIPPED:
            self._skipping.append(tag)
        elif tag == "br":
            self._end_line()
        elif tag in _CELLS:
            if self._line:
                self._line.append(" ")
        elif tag in _BLOCKS:
            if self._line:
                self._end_line()
            if tag == "blockquote":
                self._depth += 1
            elif tag == "pre":
                self._pre += 1
            elif tag == "li":
                self._line.append("- ")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self._skipping:
            if tag == self._skipping[-1]:
                self._skipping.pop()
            return
        if tag in _BLOCKS:
            if self._line:
                self._end_line()
            if tag == "blockquote" and self._depth:
                self._depth -= 1
            elif tag == "pre" and self._pre:
                self._pre -= 1

    def handle_data(self, data):
        if self._skipping:
            return
        if self._pre:
            first, *rest = data.replace("\r\n", "\n").split("\n")
            self._line.append(first)
            for line in rest:
                self._end_line()
                self._line.append(line)
            return
        text = _SPACES.sub(" ", data)
        if not self._line or "".join(self._line).endswith(" "):
            text = text.lstrip(" ")
        self._line.append(text)

    def text(self) -> str:
        if self._line:
            self._end_line()
        return "\n".join(("> " * depth + line).rstrip() for depth, line in self.lines)


def html_to_text(html: str) -> str:
    """The text of an HTML email body: no markup, entities decoded, one line per block, quoted
    (<blockquote>) lines prefixed with "> "."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return text_clean(extractor.text())


# --- Quoted history ---------------------------------------------------------------------------


def _attribution_cut(lines: list[str]) -> int | None:
    """The index of the line where an attribution or separator starts the quoted history."""
    probe = "\n".join(line[:_PROBE_LINE_CHARS] for line in lines)
    parts = quotequail.quote(probe, limit=len(lines) + 1, quote_intro_line=True)
    if len(parts) < 2:
        return None
    _, new_text = parts[0]  # (expanded by default, text): the new text, then the quoted rest
    return new_text.count("\n") + 1 if new_text.strip() else None


def _outlook_block_cut(lines: list[str]) -> int | None:
    """The index of the "From:" line of an Outlook header block (From, then Sent or Date, then
    Subject, within a few lines)."""
    for index, line in enumerate(lines):
        if not _OUTLOOK_FROM.match(line):
            continue
        block = lines[index + 1 : index + 1 + _OUTLOOK_BLOCK_LINES]
        sent = next((i for i, ln in enumerate(block) if _OUTLOOK_SENT.match(ln)), None)
        if sent is not None and any(_OUTLOOK_SUBJECT.match(ln) for ln in block[sent + 1 :]):
            return index
    return None


def _trailing_quote_cut(lines: list[str]) -> int | None:
    """The index where a trailing block of quoted (">") and blank lines starts, if it holds at
    least one quoted line; with the line that introduces it ("Ann wrote:"), if there is one."""
    cut = len(lines)
    while cut and (not lines[cut - 1].strip() or _QUOTED_LINE.match(lines[cut - 1])):
        cut -= 1
    if cut == len(lines) or not any(_QUOTED_LINE.match(line) for line in lines[cut:]):
        return None
    if cut and _INTRODUCTION.match(lines[cut - 1]):
        cut -= 1
    return cut


def quoted_history_strip(text: str) -> str:
    """The new text of a reply: `text` without the quoted history below it (see the module
    docstring), or `text` itself when nothing else would remain. Only the first
    _STRIP_MAX_CHARS characters are read (what is stored is shorter still)."""
    lines = text[:_STRIP_MAX_CHARS].split("\n")
    for find in (_attribution_cut, _outlook_block_cut, _trailing_quote_cut):
        cut = find(lines)
        if cut is not None and "\n".join(lines[:cut]).strip():
            lines = lines[:cut]
    return "\n".join(lines).strip("\n")
