"""Throttles per user, per API key, per tenant and per anonymous client (429 + Retry-After).

Fixed-window counters (a cache incr, or add on a window's first request) instead of DRF's default
sliding log, which reads and rewrites a list of every request timestamp in the window on every
request (O(rate) bytes per call, and racy: research/reliability.md §5.2). Rates are read from
settings on every request (DRF binds THROTTLE_RATES at import time). Throttles are business
quotas, not DoS protection: hard limits belong at the edge. A fixed window lets a burst of up
to twice the rate straddle a window boundary; that is accepted for quotas.
"""

import hashlib
import time

from django.core.cache import cache as default_cache
from rest_framework import throttling
from rest_framework.settings import api_settings

from tenants.authentication import ApiKeyPrincipal


def _api_key(request):
    """The ApiKey a request authenticated with, or None (user token, session, anonymous)."""
    user = getattr(request, "user", None)
    return user.api_key if isinstance(user, ApiKeyPrincipal) else None


def hit(key: str, *, limit: int, duration: int, cache=None) -> tuple[bool, float]:
    """Count one hit on `key` in the current fixed window; return (allowed, seconds left)."""
    cache = cache or default_cache
    now = time.time()
    window = int(now // duration)
    window_key = f"{key}:{window}"
    try:
        count = cache.incr(window_key)  # the common case: the window's counter exists
    except ValueError:
        # First hit of the window. Two callers may race here: add() lets one win and the
        # other counts on top of it.
        count = 1 if cache.add(window_key, 1, timeout=duration + 1) else cache.incr(window_key)
    return count <= limit, (window + 1) * duration - now


def rate_limited(scope: str, ident: str) -> bool:
    """Count a hit for `ident` under the configured `scope` rate; True when over the limit.

    For code outside DRF views (the admin and browsable-API login forms).
    """
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    if rate is None:
        return False
    count, period = rate.split("/")
    limit, duration = int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]
    ident = hashlib.sha256(ident.encode()).hexdigest()
    allowed, _ = hit(f"throttle_{scope}_{ident}", limit=limit, duration=duration)
    return not allowed


class _SettingsRateThrottle(throttling.SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        allowed, self._retry_after = hit(
            self.key, limit=self.num_requests, duration=self.duration, cache=self.cache
        )
        return allowed

    def wait(self):
        return self._retry_after


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


class LoginAccountThrottle(_SettingsRateThrottle):
    """Per target account on the login endpoint, whatever address the attempts come from."""

    scope = "login_account"

    def get_cache_key(self, request, view):
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        # Hashed: bounded key length, and no email addresses in the cache.
        ident = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
