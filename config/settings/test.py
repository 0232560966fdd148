"""Test settings: the real PostgreSQL (runtime role + owner) and Redis; fast hashing, locmem
email and cache (throttle state must not leak between parallel workers)."""

import atexit
import hashlib
import os
import shutil
import tempfile
import uuid

os.environ.setdefault(
    "SECRET_KEY", "test-secret-key-that-is-long-enough-for-hmac-and-not-used-anywhere-else"
)
# A fixed Fernet key for secrets at rest in tests (never a real one).
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdC1maWVsZC1lbmNyeXB0aW9uLWtleS0zMmJ5dGU=")

from config.broker import transport_for
from config.env import email_settings

from .base import *  # noqa: F403
from .base import (
    ALLOWED_HOSTS,
    BASE_DIR,
    CELERY_BROKER_TRANSPORT_OPTIONS,
    DATABASES,
    EMAIL_URL,
    REST_FRAMEWORK,
)
from .base import LOGGING as _BASE_LOGGING

DEBUG = False
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Saving a webhook URL checks its shape and literal address only (no DNS lookups in tests).
OUTBOUND_RESOLVE_ON_SAVE = False

# Unit tests run tasks in-process; the integration layer (tests/test_celery_integration.py)
# starts a real worker on the real Redis broker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Every test run gets its own id (set once in the pytest process and inherited by its xdist
# workers), and every worker its own broker key prefix: two runs on one machine (two
# checkouts, CI beside a developer) never consume each other's tasks on the shared Redis.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_run = os.environ.setdefault("TENANTDESK_TEST_RUN", uuid.uuid4().hex[:12])
CELERY_BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
CELERY_BROKER_TRANSPORT = transport_for(CELERY_BROKER_URL)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "global_keyprefix": f"tenantdesk-test:{_run}:{_worker}:",
}
# The test database is named after the checkout, so two checkouts can run their suites at once.
_checkout = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8]
DATABASES["owner"]["TEST"]["NAME"] = os.environ.get(
    "TEST_DATABASE_NAME", f"test_tenantdesk_{_checkout}"
)
# Uploaded files go to a throwaway directory per test process, never into the checkout; child
# processes (a real Celery worker) inherit it through the environment, and its creator cleans up.
MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT", "")
if not MEDIA_ROOT:
    MEDIA_ROOT = os.environ["TEST_MEDIA_ROOT"] = tempfile.mkdtemp(prefix=f"tdmedia-{_worker}-")
    atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "login": "1000/min",
        "login_account": "1000/min",
        "register": "1000/min",
        "password_reset": "1000/min",
        "account_email": "1000/min",
        "help_feedback": "1000/min",
        "help_request": "1000/min",
        "help_request_address": "1000/min",
        "help_request_recipient": "1000/min",
    },
}
LOGGING = {"version": 1, "disable_existing_loggers": False}

# A real Celery worker started as a subprocess by an integration test (tests/workers.py): it
# inherits the run's environment (the broker prefix above, TEST_CELERY_BROKER_URL, the media
# directory) and gets the name of the test database it must work on, which only the test
# process knows (pytest-django derives it, per xdist worker). It runs its tasks for real, sends
# email through EMAIL_URL (the test's local SMTP server) and logs to its output.
if _worker_database := os.environ.get("TENANTDESK_TEST_WORKER_DB"):
    for _alias in ("default", "owner"):
        DATABASES[_alias]["NAME"] = _worker_database
    CELERY_TASK_ALWAYS_EAGER = False
    vars().update(email_settings(EMAIL_URL))
    LOGGING = _BASE_LOGGING
