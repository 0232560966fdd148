"""Test settings: the real PostgreSQL (runtime role + owner) and Redis; fast hashing, locmem
email and cache (throttle state must not leak between parallel workers)."""

import os

os.environ.setdefault(
    "SECRET_KEY", "test-secret-key-that-is-long-enough-for-hmac-and-not-used-anywhere-else"
)

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, REST_FRAMEWORK

DEBUG = False
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

# Unit tests run tasks in-process; the integration layer (tests/test_celery_integration.py)
# starts a real worker on the real Redis broker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# One Redis database per xdist worker so parallel real workers never steal each other's tasks.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_db_index = 10 + (int(_worker[2:]) if _worker[2:].isdigit() else 0) % 6
CELERY_BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", f"redis://127.0.0.1:6379/{_db_index}")

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "login": "1000/min",
        "login_account": "1000/min",
        "register": "1000/min",
    },
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
