from html.parser import HTMLParser

import pytest

from knowledge_base.rendering import markdown_render

DANGEROUS = [
    "<script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="#" onclick="alert(1)">x</a>',
    "[x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    "[x](java&#x09;script:alert(1))",
    '<a href="java%0ascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">',
    '<svg onload="alert(1)"><script>alert(1)</script></svg>',
    '<iframe src="https://evil.example/"></iframe>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<object data="https://evil.example/x.swf"></object>',
    '<form action="https://evil.example/"><input name="p"></form>',
    "<!-- <script>alert(1)</script> -->",
    '<div onmouseover="alert(1)">hover</div>',
    '<body onload="alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
]


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


SAFE_TAGS = {"p", "a", "img", "em", "strong", "code", "pre", "br"}


@pytest.mark.parametrize("source", DANGEROUS)
def test_rendering_leaves_nothing_executable(source):
    html = markdown_render(source)
    tags = _tags(html)
    urls = [attrs[name] or "" for _, attrs in tags for name in ("href", "src") if name in attrs]

    assert {tag for tag, _ in tags} <= SAFE_TAGS
    assert [name for _, attrs in tags for name in attrs if name.startswith("on")] == []
    assert [name for _, attrs in tags for name in attrs if name == "style"] == []
    assert [url for url in urls if ":" in url.split("/")[0]] == []
    assert "<script" not in html.lower()


def test_rendering_keeps_markdown_and_safe_links():
    html = markdown_render(
        "# Title\n\nSome **bold** and `code`.\n\n"
        "[site](https://example.com) [mail](mailto:help@example.com) [page](/kb/other)\n\n"
        "![logo](https://example.com/logo.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )

    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<code>code</code>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer">site</a>' in html
    assert '<a href="mailto:help@example.com" rel="noopener noreferrer">mail</a>' in html
    assert '<a href="/kb/other" rel="noopener noreferrer">page</a>' in html
    assert '<img src="https://example.com/logo.png" alt="logo">' in html
    assert "<td>2</td>" in html


def test_a_link_given_its_own_rel_gets_ours():
    html = markdown_render('<a href="https://example.com" rel="opener" target="_blank">x</a>')

    assert html == '<p><a href="https://example.com" rel="noopener noreferrer">x</a></p>\n'
