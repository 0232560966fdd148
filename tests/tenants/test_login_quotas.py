"""Login quotas count failed attempts only, per normalized account and per client address, and
the API and the HTML login forms (admin, browsable API) share them."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from rest_framework.test import APIClient

from config.api.throttling import LoginAccountThrottle, login_identifier
from tests.conftest import PASSWORD
from tests.tenants.helpers import with_password, with_throttle_rates
from tests.tenants.recipes import membership_recipe, unverified_user_recipe, user_recipe

TOKEN_URL = "/api/v1/auth/token/"
FORMS = ["/admin/login/", "/api-auth/login/"]


@pytest.fixture
def rates(settings):
    # Quotas count in fixed windows (config/api/throttling.py): a test's requests must not
    # straddle a window boundary, so each test starts one second into a fresh minute.
    now = datetime.now(UTC)
    with time_machine.travel(now.replace(second=1, microsecond=0) + timedelta(minutes=1)):
        yield _rates(settings)


def _rates(settings):
    def apply(num_proxies: int = 0, **rates):
        with_throttle_rates(settings, **rates)
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}

    return apply


@pytest.fixture
def target(db, tenant):
    """A verified supervisor (so the admin form accepts the account) whose password is PASSWORD."""
    user = with_password(user_recipe.make(email="target@example.test"))
    membership_recipe.make(user=user, tenant=tenant, role="supervisor")
    return user


def _wide(text: str) -> str:
    """The full-width spelling of ASCII letters (what NFKC folds back)."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def _api_login(email: str, password: str, **extra):
    return APIClient().post(
        TOKEN_URL, {"email": email, "password": password}, format="json", **extra
    )


def _form_login(client, path: str, email: str, password: str, **extra):
    response = client.post(path, {"username": email, "password": password}, **extra)
    logged_in = "_auth_user_id" in client.session
    client.logout()
    return response, logged_in


# --- the account's identifier is normalized -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Target@Example.TEST", "target@example.test"),
        ("  target@example.test\t", "target@example.test"),
        (f"{_wide('target')}@{_wide('example')}.test", "target@example.test"),  # NFKC
        ("STRASSE@example.test", "strasse@example.test"),
        ("straße@example.test", "strasse@example.test"),  # casefold, not lower
        ("ﬁle@example.test", "file@example.test"),  # ligature (NFKC)
    ],
)
def test_login_identifier_is_nfkc_casefolded_and_stripped(raw, normalized):
    assert login_identifier(raw) == normalized


@pytest.mark.parametrize("value", [None, 5, ["a@b.test"], {"a": 1}, "", "   "])
def test_login_identifier_of_a_non_string_or_blank_is_none(value):
    assert login_identifier(value) is None


def test_spellings_of_one_account_share_its_quota(rates, target):
    rates(login_account="2/min")
    _api_login("TARGET@example.test", "guess-1", REMOTE_ADDR="10.0.0.1")
    _api_login(f"{_wide('target')}@example.test", "guess-2", REMOTE_ADDR="10.0.0.2")

    blocked = _api_login(" target@example.test ", PASSWORD, REMOTE_ADDR="10.0.0.3")

    assert blocked.status_code == 429, blocked.content


# --- failures only ----------------------------------------------------------------------------


def test_successful_logins_do_not_use_up_the_account_quota(rates, target):
    rates(login_account="2/min")

    successes = [_api_login(target.email, PASSWORD).status_code for _ in range(4)]
    failures = [_api_login(target.email, "guess").status_code for _ in range(2)]
    blocked = _api_login(target.email, PASSWORD)

    assert successes == [200, 200, 200, 200]
    assert failures == [400, 400]
    assert blocked.status_code == 429, blocked.content
    assert blocked.json()["code"] == "throttled"


def test_unverified_login_with_the_right_password_still_counts(rates, db):
    rates(login_account="2/min")
    with_password(unverified_user_recipe.make(email="pending@example.test"))

    statuses = [_api_login("pending@example.test", PASSWORD).status_code for _ in range(3)]

    assert statuses == [403, 403, 429]


@pytest.mark.parametrize("path", FORMS)
def test_html_form_successes_do_not_use_up_the_quota(client, rates, target, path):
    rates(login="2/min", login_account="2/min")

    outcomes = [_form_login(client, path, target.email, PASSWORD)[1] for _ in range(4)]

    assert outcomes == [True, True, True, True]


@pytest.mark.parametrize("path", FORMS)
def test_html_form_failures_refuse_even_the_right_password(client, rates, target, path):
    rates(login_account="2/min")
    for _ in range(2):
        _form_login(client, path, target.email, "guess")

    response, logged_in = _form_login(client, path, target.email, PASSWORD)

    assert response.status_code == 200
    assert "Too many login attempts" in response.content.decode()
    assert not logged_in


@pytest.mark.parametrize("path", FORMS)
def test_html_form_and_api_failures_share_the_account_quota(client, rates, target, path):
    rates(login_account="2/min")
    _form_login(client, path, target.email, "guess")
    _api_login(target.email, "guess")

    api = _api_login(target.email, PASSWORD)
    form, logged_in = _form_login(client, path, target.email, PASSWORD)

    assert api.status_code == 429
    assert not logged_in
    assert "Too many login attempts" in form.content.decode()


# --- client address: the API's logic, forwarded-for included ----------------------------------


def test_api_address_quota_follows_the_forwarded_client_behind_a_proxy(rates, target):
    rates(num_proxies=1, login="2/min")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(2):
        _api_login(target.email, "guess", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)

    blocked = _api_login(target.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    other = _api_login(target.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.9", **proxy)

    assert blocked.status_code == 429
    assert other.status_code == 200, other.content


@pytest.mark.parametrize("path", FORMS)
def test_html_form_address_quota_follows_the_forwarded_client(client, rates, target, path):
    rates(num_proxies=1, login="2/min")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(2):
        _form_login(
            client, path, target.email, "guess", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy
        )

    _, blocked = _form_login(
        client, path, target.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy
    )
    _, other = _form_login(
        client, path, target.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.9", **proxy
    )

    assert blocked is False
    assert other is True


@pytest.mark.parametrize("path", FORMS)
def test_html_form_and_api_share_the_address_quota(client, rates, target, path):
    rates(num_proxies=1, login="2/min")
    forwarded = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    _form_login(client, path, target.email, "guess", **forwarded)
    _api_login(target.email, "guess", **forwarded)

    api = _api_login(target.email, PASSWORD, **forwarded)

    assert api.status_code == 429


def test_forged_forwarded_for_without_trusted_proxies_is_ignored(rates, target):
    rates(num_proxies=0, login="2/min")
    for i in range(2):
        _api_login(target.email, "guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")

    blocked = _api_login(target.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.9")

    assert blocked.status_code == 429


# --- odd input never breaks the throttle --------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [5, None, ["target@example.test"], {"e": 1}, True, "", "x" * 10_000],
    ids=["int", "null", "list", "object", "bool", "empty", "huge"],
)
def test_login_with_an_odd_email_is_a_400_not_a_500(rates, target, email):
    rates(login_account="2/min")

    response = APIClient().post(TOKEN_URL, {"email": email, "password": PASSWORD}, format="json")

    assert response.status_code == 400, response.content
    assert "email" in response.json()["errors"]


def test_login_with_a_lone_surrogate_in_the_email_is_a_400_not_a_500(rates, target):
    rates(login_account="2/min")
    body = '{"email": "\\ud800target@example.test", "password": "x"}'

    response = APIClient().post(TOKEN_URL, body, content_type="application/json")

    assert response.status_code == 400, response.content


@pytest.mark.parametrize("email", ["\ud800@example.test", "a\udfff", "Target@example.test"])
def test_account_throttle_counts_any_string_even_one_utf8_cannot_encode(rates, db, email):
    rates(login_account="1/min")
    request = SimpleNamespace(data={"email": email}, META={"REMOTE_ADDR": "10.0.0.1"})
    throttle = LoginAccountThrottle()

    allowed = [throttle.allow_request(request, view=None) for _ in range(2)]

    assert allowed == [True, False]


@pytest.mark.parametrize("email", [7, None, ["x"], {"e": "x"}, "   "])
def test_account_throttle_leaves_non_strings_to_the_serializer(rates, db, email):
    rates(login_account="1/min")
    request = SimpleNamespace(data={"email": email}, META={"REMOTE_ADDR": "10.0.0.1"})
    throttle = LoginAccountThrottle()

    allowed = [throttle.allow_request(request, view=None) for _ in range(2)]

    assert allowed == [True, True]


def test_account_throttle_ignores_a_body_that_is_not_an_object(rates, db):
    rates(login_account="1/min")
    throttle = LoginAccountThrottle()

    allowed = [
        throttle.allow_request(SimpleNamespace(data=data), view=None)
        for data in (["a"], "text", 5, None)
    ]

    assert allowed == [True, True, True, True]
