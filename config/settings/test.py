"""Test settings: the real PostgreSQL (runtime role + owner) and Redis; fast hashing, locmem
email and cache (throttle state must not leak between parallel workers)."""

import atexit
import os
import shutil
import tempfile

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
    },
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
