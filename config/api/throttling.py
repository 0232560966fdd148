"""Throttles per user, per API key, per tenant and per anonymous client (429 + Retry-After).

Fixed-window counters (a cache incr, or add on a window's first request) instead of DRF's default
sliding log, which reads and rewrites a list of every request timestamp in the window on every
request (O(rate) bytes per call, and racy: research/reliability.md §5.2). Rates are read from
settings on every request (DRF binds THROTTLE_RATES at import time). Throttles are business
quotas, not DoS protection: hard limits belong at the edge. A fixed window lets a burst of up
to twice the rate straddle a window boundary; that is accepted for quotas.
"""

import contextlib
import hashlib
import ipaddress
import time
import unicodedata
from dataclasses import dataclass

from django.core.cache import cache as default_cache
from rest_framework import throttling
from rest_framework.settings import api_settings

from config.api.client import client_ip


def _api_key(request):
    """The ApiKey a request authenticated with, or None (user token, session, anonymous)."""
    # Duck-typed (config imports no app): only the API-key principal carries `api_key`.
    return getattr(getattr(request, "user", None), "api_key", None)


def _count(key: str, *, limit: int, duration: int, cache) -> tuple[bool, float, str]:
    """Count one hit on `key` in the current fixed window: (allowed, seconds left, counter)."""
    now = time.time()
    window = int(now // duration)
    window_key = f"{key}:{window}"
    try:
        count = cache.incr(window_key)  # the common case: the window's counter exists
    except ValueError:
        # First hit of the window. Two callers may race here: add() lets one win and the
        # other counts on top of it.
        count = 1 if cache.add(window_key, 1, timeout=duration + 1) else cache.incr(window_key)
    return count <= limit, (window + 1) * duration - now, window_key


def hit(key: str, *, limit: int, duration: int, cache=None) -> tuple[bool, float]:
    """Count one hit on `key` in the current fixed window; return (allowed, seconds left)."""
    allowed, wait, _ = _count(key, limit=limit, duration=duration, cache=cache or default_cache)
    return allowed, wait


# Every counter of a request in one round trip: INCR each window's key, and give a key its
# expiry when this hit created it (the same counters _count keeps: Django's Redis cache
# stores integers as plain Redis integers, so either path reads the other's). The keys after
# the first `gate` are counted only when none of the first is over its limit (a caller
# refused by its own quota does not use up its tenant's); 0 marks a key not counted.
# ARGV: gate, then per key its expiry and its limit.
_INCR_ALL = """
local gate = tonumber(ARGV[1])
local counts = {}
for i, key in ipairs(KEYS) do
    if i == gate + 1 then
        for j = 1, gate do
            if counts[j] > tonumber(ARGV[2 * j + 1]) then
                for k = gate + 1, #KEYS do counts[k] = 0 end
                return counts
            end
        end
    end
    counts[i] = redis.call('INCR', key)
    if counts[i] == 1 then redis.call('EXPIRE', key, ARGV[2 * i]) end
end
return counts
"""
_incr_all = None  # the registered script (redis-py computes its hash once; a call names its client)


def hit_many(
    hits: list[tuple[str, int, int]], cache=None, *, gate: int | None = None
) -> list[tuple[bool, float]]:
    """Count one hit on each (key, limit, duration) in its current fixed window, in one round
    trip to Redis; return (allowed, seconds left) for each. With `gate`, the hits after the
    first `gate` are counted only if none of those is refused (else they are reported as
    allowed, uncounted). Another cache backend (or a single hit) counts key by key, alike."""
    cache = cache or default_cache
    gate = len(hits) if gate is None else gate
    client_source = getattr(getattr(cache, "_cache", None), "get_client", None)
    if len(hits) < 2 or client_source is None:
        outcomes: list[tuple[bool, float]] = []
        for index, (key, limit, duration) in enumerate(hits):
            if index == gate and not all(allowed for allowed, _ in outcomes):
                return outcomes + [(True, 0.0)] * (len(hits) - gate)
            outcomes.append(hit(key, limit=limit, duration=duration, cache=cache))
        return outcomes
    now = time.time()
    windows = [int(now // duration) for _, _, duration in hits]
    keys = [
        cache.make_and_validate_key(f"{key}:{window}")
        for (key, _, _), window in zip(hits, windows, strict=True)
    ]
    # Django's RedisCache builds a new redis.Redis (and its response callbacks) per call; one
    # client per cache client object is enough (they share the connection pool anyway).
    redis_cache = cache._cache
    client = getattr(redis_cache, "_quota_client", None)
    if client is None:
        client = redis_cache._quota_client = client_source(keys[0], write=True)
    global _incr_all
    if _incr_all is None:
        _incr_all = client.register_script(_INCR_ALL)
    args = [gate]
    for _, limit, duration in hits:
        args += [duration + 1, limit]
    counts = _incr_all(keys=keys, args=args, client=client)
    return [
        (count <= limit, (window + 1) * duration - now)
        for count, (_, limit, duration), window in zip(counts, hits, windows, strict=True)
    ]


def _parse_rate(rate: str) -> tuple[int, int]:
    count, period = rate.split("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


def login_identifier(value: object) -> str | None:
    """The account a login names, as quotas key it: NFKC, casefolded, stripped.

    So "Bob@X.test", "bob@x.test " and full-width or ligature spellings share one quota. None
    for anything else than a non-empty string (the serializer reports those).
    """
    if not isinstance(value, str):
        return None
    return unicodedata.normalize("NFKC", value).casefold().strip() or None


def address_group(address: str | None) -> str:
    """The unit a quota counts a client address by: an IPv4 address, or an IPv6 address's
    /64 network (a single host is routinely handed a whole /64); '' for none."""
    if not address:
        return ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def _digest(ident: str) -> str:
    # Hashed: bounded key length, and no addresses in the cache. surrogatepass: a string
    # that cannot be UTF-8 encoded (a lone surrogate) still hashes instead of raising.
    return hashlib.sha256(ident.encode("utf-8", errors="surrogatepass")).hexdigest()


# --- Failed-attempt quotas (login) ------------------------------------------------------------
# A login quota counts failures only, yet must hold under concurrent guesses: every attempt is
# counted when it arrives (so N parallel guesses cannot all pass a check made before any of
# them failed), and a successful login gives its count back.


@dataclass(frozen=True)
class Attempt:
    """One attempt counted in one quota window."""

    counter: str  # the window's cache key
    allowed: bool
    wait: float


def attempt_count(scope: str, ident: str | None) -> Attempt | None:
    """Count an attempt by `ident` under `scope`'s rate; None when there is nothing to count."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    if rate is None or not ident:
        return None
    limit, duration = _parse_rate(rate)
    key = f"throttle_{scope}_{_digest(ident)}"
    allowed, wait, counter = _count(key, limit=limit, duration=duration, cache=default_cache)
    return Attempt(counter=counter, allowed=allowed, wait=wait)


def attempts_forgive(attempts) -> None:
    """Give back counted attempts: they turned out to be successful logins."""
    for attempt in attempts:
        # ValueError: the window is over, and there is nothing left to give back.
        with contextlib.suppress(ValueError):
            default_cache.decr(attempt.counter)


def login_attempts_count(*, address: str | None, identifier: object) -> list[Attempt]:
    """Count a login attempt against its client address and its account (HTML forms)."""
    attempts = [
        attempt_count("login", address_group(address)),
        attempt_count("login_account", login_identifier(identifier)),
    ]
    return [attempt for attempt in attempts if attempt is not None]


_REQUEST_ATTEMPTS = "_counted_login_attempts"


def request_attempts_forgive(request) -> None:
    """The request logged in: give back the attempts its failed-attempt throttles counted."""
    http_request = getattr(request, "_request", request)
    attempts_forgive(getattr(http_request, _REQUEST_ATTEMPTS, ()))
    setattr(http_request, _REQUEST_ATTEMPTS, [])


def throttles_refusing(throttles, request, view) -> list:
    """The throttles among `throttles` that refuse this request, each hit counted once: the
    plain counters (a key and a rate) together in one round trip (hit_many), any other
    throttle through its own allow_request. The tenant's counters (`tenant_scoped`) count
    only when the caller's own quotas let the request through, as when they were checked
    one after the other: a caller over its quota does not use up its tenant's."""
    caller, tenant, refusing = [], [], []
    for throttle in throttles:
        planned = (
            throttle.planned_hit(request, view)
            if isinstance(throttle, _SettingsRateThrottle)
            and type(throttle).allow_request is _SettingsRateThrottle.allow_request
            else False
        )
        if planned is False:
            if not throttle.allow_request(request, view):
                refusing.append(throttle)
        elif planned is not None:
            scoped = getattr(throttle, "tenant_scoped", False)
            (tenant if scoped else caller).append((throttle, planned))
    if any(not getattr(throttle, "tenant_scoped", False) for throttle in refusing):
        tenant = []  # the caller is refused already
    plain = caller + tenant
    outcomes = hit_many([planned for _, planned in plain], cache=default_cache, gate=len(caller))
    for (throttle, _), (allowed, wait) in zip(plain, outcomes, strict=True):
        throttle._retry_after = wait
        if not allowed:
            refusing.append(throttle)
    return refusing


class _SettingsRateThrottle(throttling.SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def planned_hit(self, request, view) -> tuple[str, int, int] | None:
        """The (key, limit, duration) allow_request would count, or None: nothing to count."""
        if self.rate is None:
            return None
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return None
        return self.key, self.num_requests, self.duration

    def allow_request(self, request, view):
        planned = self.planned_hit(request, view)
        if planned is None:
            return True
        key, limit, duration = planned
        allowed, self._retry_after = hit(key, limit=limit, duration=duration, cache=self.cache)
        return allowed

    def wait(self):
        return self._retry_after

    def get_ident(self, request) -> str:
        # The API's one notion of the client address (NUM_PROXIES / X-Forwarded-For, validated),
        # shared with the audit log and the HTML login forms; an IPv6 client counts by its /64
        # (one host owns a whole /64) and the cache holds only a hash of it.
        return _digest(address_group(client_ip(request)))


class UserRateThrottle(_SettingsRateThrottle):
    """Per authenticated user (token or session), across tenants."""

    scope = "user"

    def get_cache_key(self, request, view):
        if _api_key(request) is not None or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class ApiKeyRateThrottle(_SettingsRateThrottle):
    """Per tenant API key."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        api_key = _api_key(request)
        if api_key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": api_key.pk}


class TenantRateThrottle(_SettingsRateThrottle):
    """Per tenant, summed over every principal calling that tenant's routes."""

    scope = "tenant"
    tenant_scoped = True  # checked once the tenant is resolved (tenants.api.base)

    def get_cache_key(self, request, view):
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": tenant.pk}


class PublicTenantRateThrottle(_SettingsRateThrottle):
    """Per client address per tenant, on the public (unauthenticated) tenant routes."""

    scope = "public"
    tenant_scoped = True  # checked once the tenant is resolved (tenants.api.base)

    def get_cache_key(self, request, view):
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            return None
        ident = f"{tenant.pk}:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _counts_write(request, view) -> bool:
    # Only the writes the view serves count (a 405 PUT uses up nothing).
    method = request.method.lower()
    return method not in ("get", "head", "options") and method in view.http_method_names


class _PublicScopedThrottle(_SettingsRateThrottle):
    """A quota a public view opts into by naming a scope (`scope_attribute` on the view);
    counts only the writes the view serves."""

    scope_attribute = ""

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attribute, None)
        if not self.scope or not _counts_write(request, view):
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            raise AssertionError(f"No rate for the throttle scope {self.scope!r}")
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class PublicScopedRateThrottle(_PublicScopedThrottle):
    """Per client address per tenant for one public write (the view's `throttle_scope`, e.g.
    the help center's ticket requests)."""

    scope_attribute = "throttle_scope"
    tenant_scoped = True  # checked once the tenant is resolved (tenants.api.base)

    def get_cache_key(self, request, view):
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            return None
        ident = f"{tenant.pk}:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PublicAddressRateThrottle(_PublicScopedThrottle):
    """Per client address across every tenant for one public write (the view's
    `throttle_address_scope`): one address cannot multiply a per-tenant quota by the number
    of tenants. Counted before the tenant is looked up, so 404s count."""

    scope_attribute = "throttle_address_scope"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicRecipientRateThrottle(_PublicScopedThrottle):
    """Per email address named in the body (`email`), across every tenant and client, for a
    public write that emails it (the view's `throttle_recipient_scope`): nobody can flood
    someone's mailbox through many addresses or tenants. Counts every request alike."""

    scope_attribute = "throttle_recipient_scope"

    def get_cache_key(self, request, view):
        identifier = login_identifier(_request_email(request))
        if identifier is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": _digest(identifier)}


class AnonRateThrottle(_SettingsRateThrottle):
    """Per client address for unauthenticated calls."""

    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ScopedAnonThrottle(_SettingsRateThrottle):
    """Per client address for one sensitive endpoint (`throttle_scope` on the view)."""

    def allow_request(self, request, view):
        self.scope = getattr(view, "throttle_scope", None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _request_email(request) -> object:
    return request.data.get("email") if hasattr(request.data, "get") else None


class _FailedAttemptThrottle(_SettingsRateThrottle):
    """A quota on failures: counts each attempt as it arrives; the view forgives it once it
    succeeds (request_attempts_forgive). Beyond the limit even a right password gets 429."""

    def get_identifier(self, request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view):
        attempt = attempt_count(self.scope, self.get_identifier(request))
        if attempt is None:
            return True
        http_request = getattr(request, "_request", request)
        counted = getattr(http_request, _REQUEST_ATTEMPTS, [])
        setattr(http_request, _REQUEST_ATTEMPTS, [*counted, attempt])
        self._retry_after = attempt.wait
        return attempt.allowed


class LoginAddressThrottle(_FailedAttemptThrottle):
    """Failed logins per client address (the HTML login forms share it)."""

    scope = "login"

    def get_identifier(self, request):
        return address_group(client_ip(request))  # hashed by attempt_count


class LoginAccountThrottle(_FailedAttemptThrottle):
    """Failed logins per target account, whatever address the attempts come from."""

    scope = "login_account"

    def get_identifier(self, request):
        return login_identifier(_request_email(request))


class PasswordCheckThrottle(_FailedAttemptThrottle):
    """Wrong current passwords count against the account's login quota: a stolen token must
    not become a faster way to guess the password than the login endpoint."""

    scope = "login_account"

    def get_identifier(self, request):
        user = request.user
        if _api_key(request) is not None or not user.is_authenticated:
            return None
        return login_identifier(user.email)


class AccountEmailThrottle(_SettingsRateThrottle):
    """Anonymous requests that email an address (registration, password reset), per address
    named in the body, whatever client sends them: nobody can flood someone's mailbox. Counts
    every request, for every address alike (known or not, so it reveals nothing)."""

    scope = "account_email"

    def get_cache_key(self, request, view):
        identifier = login_identifier(_request_email(request))
        if identifier is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": _digest(identifier)}
