from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError

from integrations.services import rules

# The real integrations.services.rules._url_check, for the test of the indirection itself.
REAL_URL_CHECK = rules._url_check


class FakeUrlCheck:
    """Stands for integrations.http.url_check in this app's tests (the SSRF guard has its own):
    https to a named host is accepted; anything else is refused the way the guard refuses
    (ValidationError on `url`). Remembers what it was asked."""

    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, url: str) -> str:
        self.seen.append(url)
        host = urlsplit(url).hostname or ""
        if urlsplit(url).scheme != "https" or host == "localhost" or host[:1].isdigit():
            raise ValidationError({"url": ["This destination is not allowed."]})
        return url


@pytest.fixture(autouse=True)
def url_check(monkeypatch) -> FakeUrlCheck:
    fake = FakeUrlCheck()
    monkeypatch.setattr(rules, "_url_check", fake)
    return fake
