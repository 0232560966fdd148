"""Tenantdesk settings: everything comes from the environment, with safe local defaults.

Production differences are env values, not another module (see README "Environment").
"""

import base64
import hashlib
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from config.api.tags import TAGS as API_TAGS
from config.broker import transport_for
from config.env import BASE_DIR, email_settings, env, prefixed_env
from config.pooling import DATABASE_POOLING_MODES, transaction_pooling

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default=None)
if SECRET_KEY is None:
    if not DEBUG:
        # Never boot a production process with a key everybody can read in this file.
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "django-insecure-local-development-key-only-used-with-debug-on"  # noqa: S105
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "config.health.csrf_failure"
# Reverse proxies in front of the app that append to X-Forwarded-For / set X-Forwarded-Proto.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "tenants",
    "tickets",
    "knowledge_base",
    "notifications",
    "integrations",
]

MIDDLEWARE = [
    "config.middleware.RequestContextMiddleware",
    # Before anything that can answer on its own (413s, redirects), so those carry CORS too.
    "corsheaders.middleware.CorsMiddleware",
    "config.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "tenants.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Databases ---------------------------------------------------------------------------
# Two credentials for one database (research/tenancy.md §2.3):
#   default — the runtime role: not superuser, not BYPASSRLS, owns nothing. Web + Celery.
#   owner   — owns the schema; runs migrations and creates the test database.
# Row-level security policies apply to every role but superusers/BYPASSRLS; tables are FORCEd
# so even the owner sees no tenant rows without a tenant context.
# Fernet keys for secrets at rest (tenants.crypto), newest first; generate one with
# `python3 -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set FIELD_ENCRYPTION_KEYS (or DEBUG=1 for local development): secrets are "
            "encrypted at rest with it."
        )
    # Local development only: a key derived from the (development) SECRET_KEY.
    FIELD_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
    ]

# Webhooks: an endpoint whose deliveries keep failing this many days is disabled (its admins
# are told); 410 Gone disables it at once.
WEBHOOK_DISABLE_AFTER_DAYS = env.int("WEBHOOK_DISABLE_AFTER_DAYS", default=5)
# Whether saving an outbound URL (a webhook endpoint) resolves its host and refuses private,
# loopback and link-local addresses then too (integrations.http.url_check); every connection
# checks the address again anyway. Tests switch it off: their example hosts need no DNS.
OUTBOUND_RESOLVE_ON_SAVE = env.bool("OUTBOUND_RESOLVE_ON_SAVE", default=True)

DATABASES = {
    "default": env.db(
        "DATABASE_URL",
        default="postgres://tenantdesk_app:tenantdesk_app@127.0.0.1:5432/tenantdesk",
    ),
    "owner": env.db(
        "DATABASE_OWNER_URL",
        default="postgres://tenantdesk_owner:tenantdesk_owner@127.0.0.1:5432/tenantdesk",
    ),
}
for _db in DATABASES.values():
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
    # Server-side cursors outlive transactions; keep pgbouncer transaction pooling possible.
    _db["DISABLE_SERVER_SIDE_CURSORS"] = True
# Prepared statements on the runtime connection: psycopg binds the parameters on the server
# and prepares a statement the connection has run 5 times, so each connection plans the hot
# queries (authentication, membership, a ticket page, a create's writes) once instead of on
# every request: a ticket's detail 2.1 -> 1.35 ms of wall time in-process (bench/RESULTS.md).
# Plans stay correct per tenant: the row-level security policy reads the tenant setting when
# the statement runs. Off behind a transaction-mode pooler (below): a prepared statement
# belongs to one server session.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASE_PREPARED_STATEMENTS:
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
# DATABASE_POOLING=transaction: DATABASE_URL points at PgBouncer (or another pooler) in
# transaction mode (docs/operations.md "Connection pooling"). Only the runtime connection goes
# through it; the owner connection (migrations, test databases) stays direct to PostgreSQL.
DATABASE_POOLING = env("DATABASE_POOLING", default="none")
if DATABASE_POOLING not in DATABASE_POOLING_MODES:
    raise ImproperlyConfigured(
        f"DATABASE_POOLING must be one of {', '.join(DATABASE_POOLING_MODES)}, "
        f"not {DATABASE_POOLING!r}."
    )
if DATABASE_POOLING == "transaction":
    transaction_pooling(DATABASES["default"])
# In tests the runtime connection points at the test database the owner created.
DATABASES["default"]["TEST"] = {"MIRROR": "owner"}
DATABASES["owner"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default=None), "DEPENDENCIES": []}
DATABASE_ROUTERS = ["tenants.db.OwnerMigratesRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The role every tenant context runs as (SET LOCAL ROLE): the runtime login itself in
# production, and the same role when code runs on the owner connection.
TENANCY_DB_ROLE = env("TENANCY_DB_ROLE", default=DATABASES["default"]["USER"])

# --- Redis, cache, Celery -------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
# `?include=count` on lists: exact up to this many rows, the planner's estimate above.
PAGINATION_EXACT_COUNT_MAX = env.int("PAGINATION_EXACT_COUNT_MAX", default=10_000)

# --- CORS (django-cors-headers) ------------------------------------------------------------
# Browser front ends on other origins may call the API: none by default. Scheme + host (+ port),
# comma-separated, e.g. CORS_ALLOWED_ORIGINS=https://support.example.com,https://app.example.com
# Bearer tokens and API keys travel in headers, never cookies: no credentials mode.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "if-match",
    "if-none-match",
    "x-request-id",
)
CORS_EXPOSE_HEADERS = ("ETag", "Link", "Location", "Retry-After", "X-Request-ID")
CORS_PREFLIGHT_MAX_AGE = env.int("CORS_PREFLIGHT_MAX_AGE", default=86400)

# How long a browser or CDN may reuse a help-center answer (Cache-Control max-age, seconds).
HELP_CENTER_MAX_AGE = env.int("HELP_CENTER_MAX_AGE", default=60)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("CACHE_URL", default=REDIS_URL),
        "KEY_PREFIX": "tenantdesk",
    }
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
# kombu's Redis transport with one publishing client per channel (config/broker.py).
CELERY_BROKER_TRANSPORT = transport_for(CELERY_BROKER_URL)
CELERY_RESULT_BACKEND = None  # results are rows in PostgreSQL, never in the broker
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
# Redis redelivers an unacknowledged message after the visibility timeout: it must outlast
# every task's run time (the hard limit), or a slow task runs twice. No task uses a countdown
# or ETA (retries wait in PostgreSQL, next_attempt_at), so nothing waits in the broker that
# long. The same value in the three places Celery's Redis docs name.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
# A publish must not hang a request when Redis is down: short socket timeouts, one retry.
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Warm shutdown: give late-acknowledged tasks time to finish or be re-queued.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 10.0
# After a failed robust enqueue, a process skips robust enqueues this long (the outbox sweep
# sends what was skipped), so a request with several side effects waits on a dead broker once.
BROKER_RETRY_AFTER_SECONDS = env.int("BROKER_RETRY_AFTER_SECONDS", default=15)

CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = "UTC"
# Workers and beat log through Django's LOGGING (JSON), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Outbox (tenants/outbox.py) --------------------------------------------------------------
# A claimed row belongs to its worker this long; longer than any delivery task's hard time
# limit (OUTBOX_TASK_TIME_LIMIT), so only a dead worker's row is ever taken over.
OUTBOX_TASK_TIME_LIMIT = 60
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=120)
OUTBOX_SWEEP_BATCH = 500  # rows re-sent per table and tenant per sweep
# A row never tried yet is left to its own message this long before the sweep sends another
# (a backlog in the queue is not made longer by duplicates).
OUTBOX_SWEEP_GRACE_SECONDS = env.int("OUTBOX_SWEEP_GRACE_SECONDS", default=60)

# --- Email ---------------------------------------------------------------------------------
# The primary provider (EMAIL_URL) and the fallback used when it fails transiently
# (FALLBACK_EMAIL_URL, optional): smtp://…, smtp+tls://user:pass@host:587, consolemail://, or an
# ESP through django-anymail, anymail+<esp>://<api key>@ (notifications/providers.py).
EMAIL_URL = env("EMAIL_URL", default="consolemail://")
FALLBACK_EMAIL_URL = env("FALLBACK_EMAIL_URL", default="")
vars().update(email_settings(EMAIL_URL))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Tenantdesk <no-reply@tenantdesk.local>")
# The domain of the Message-IDs we mint (replies quote them; inbound matching reads them back).
EMAIL_MESSAGE_ID_DOMAIN = env("EMAIL_MESSAGE_ID_DOMAIN", default="tenantdesk.local")
# Where a tenant's customers reply: the Reply-To of ticket emails ({slug} is the tenant's).
# Inbound email through an ESP finds the tenant by this pattern in the envelope recipient.
INBOUND_EMAIL_ADDRESS = env("INBOUND_EMAIL_ADDRESS", default="support+{slug}@tenantdesk.local")
# The largest raw email the inbound endpoint takes (message/rfc822 bodies; 413 above it).
INBOUND_EMAIL_MAX_BYTES = env.int("INBOUND_EMAIL_MAX_BYTES", default=25 * 1024 * 1024)
# django-anymail: the ESP's API key from EMAIL_URL, plus every ANYMAIL_<NAME> variable of the
# environment as <NAME>: what authenticates the providers' webhooks (/anymail/<esp>/tracking/
# and /inbound/), ANYMAIL_WEBHOOK_SECRET="user:password" (basic auth) and the ESP's own signing
# key where it has one (ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY=…). docs/email.md.
ANYMAIL = {**vars().get("ANYMAIL", {}), **prefixed_env("ANYMAIL_")}

# --- Auth ----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Lifetimes of the emailed account links (tenants/tokens.py); each link also works only once.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=60 * 60)
EMAIL_VERIFICATION_TIMEOUT = env.int("EMAIL_VERIFICATION_TIMEOUT_SECONDS", default=3 * 24 * 3600)

REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": timedelta(hours=env.int("TOKEN_TTL_HOURS", default=24 * 7)),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": env.int("TOKEN_LIMIT_PER_USER", default=50),
}

# The browsable API's login lands on the caller's tenants unless ?next= says otherwise.
LOGIN_URL = "rest_framework:login"
LOGIN_REDIRECT_URL = "/api/v1/t/"
LOGOUT_REDIRECT_URL = "/api/v1/"

# --- REST framework --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.authentication.BearerTokenAuthentication",
        "tenants.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "config.api.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "config.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.CursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api.throttling.UserRateThrottle",
        "config.api.throttling.ApiKeyRateThrottle",
        "config.api.throttling.TenantRateThrottle",
        "config.api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("THROTTLE_USER_RATE", default="1200/min"),
        "api_key": env("THROTTLE_API_KEY_RATE", default="1200/min"),
        "tenant": env("THROTTLE_TENANT_RATE", default="6000/min"),
        "anon": env("THROTTLE_ANON_RATE", default="120/min"),
        # Public tenant routes (the help center), per client address per tenant.
        "public": env("THROTTLE_PUBLIC_RATE", default="60/min"),
        # The help center's writes, per visitor address per tenant (besides `public`).
        "help_feedback": env("THROTTLE_HELP_FEEDBACK_RATE", default="30/hour"),
        "help_request": env("THROTTLE_HELP_REQUEST_RATE", default="5/hour"),
        # …per visitor address across every tenant, and per email address they name.
        "help_request_address": env("THROTTLE_HELP_REQUEST_ADDRESS_RATE", default="20/hour"),
        "help_request_recipient": env("THROTTLE_HELP_REQUEST_RECIPIENT_RATE", default="5/hour"),
        "login": env("THROTTLE_LOGIN_RATE", default="10/min"),
        "login_account": env("THROTTLE_LOGIN_ACCOUNT_RATE", default="30/hour"),
        "register": env("THROTTLE_REGISTER_RATE", default="20/hour"),
        "password_reset": env("THROTTLE_PASSWORD_RESET_RATE", default="20/hour"),
        "account_email": env("THROTTLE_ACCOUNT_EMAIL_RATE", default="10/hour"),
    },
    "NUM_PROXIES": NUM_PROXIES,
    "EXCEPTION_HANDLER": "config.api.errors.exception_handler",
    "VIEW_NAME_FUNCTION": "config.api.root.view_name",
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tenantdesk API",
    "DESCRIPTION": (
        "Multi-tenant customer-support backend. Tenant routes live under `/api/v1/t/<slug>/`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The areas operations are grouped by (config.api.schema.TAGS), in the docs' order.
    "TAGS": [{"name": name, "description": description} for name, _, description in API_TAGS],
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "tenants.models.Role.choices",
        "InvitationStatusEnum": "tenants.models.InvitationStatus.choices",
        "StatusEnum": "tickets.models.Status.choices",  # the ticket status keeps its name
        # Email and webhook deliveries share the outbox's statuses.
        "DeliveryStatusEnum": "tenants.models.outbox.OutboxStatus.choices",
        # Two `kind`s: the email deliveries' keeps the name it had alone.
        "KindEnum": "notifications.models.EmailKind.choices",
        "ExportKindEnum": "tickets.models.ExportKind.choices",
    },
}

# --- Request limits ------------------------------------------------------------------------
# JSON/form bodies above API_MAX_BODY_BYTES get 413 before anything parses them; multipart
# uploads get the larger API_MAX_UPLOAD_BYTES.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
API_MAX_UPLOAD_BYTES = env.int("API_MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# Ticket attachments: the per-file cap and the accepted types (checked against the declared
# type and the file's leading bytes; see tickets/files.py, the upload policy).
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_CONTENT_TYPES = env.list(
    "ATTACHMENT_CONTENT_TYPES",
    default=[
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/json",
        "application/zip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    ],
)

# --- Outbound HTTP: webhooks, CRM sync (integrations/http.py) ---------------------------------
# Every request to a tenant's URL goes through one guarded client (SSRF: research/reliability.md
# §1.5). Both switches are for local development and tests only, never production.
OUTBOUND_ALLOW_HTTP = env.bool("OUTBOUND_ALLOW_HTTP", default=False)  # else https only
# Opens 127.0.0.0/8 and ::1 (on any port); never a private range, never ::ffff:127.0.0.1.
OUTBOUND_ALLOW_LOOPBACK = env.bool("OUTBOUND_ALLOW_LOOPBACK", default=False)
OUTBOUND_ALLOWED_PORTS = env.list("OUTBOUND_ALLOWED_PORTS", cast=int, default=[443, 8443, 80])
# Request bodies above this are refused before anything is sent (target < 20 KB: thin events).
OUTBOUND_MAX_BODY_BYTES = env.int("OUTBOUND_MAX_BODY_BYTES", default=256 * 1024)

# --- i18n, static ----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))

# --- Security (production values whenever DEBUG is off) -----------------------------------------
# Trust X-Forwarded-Proto only when a proxy we own sets it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if NUM_PROXIES else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Preloading is a commitment browsers remember for months: opt in explicitly.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Health probes come over plain HTTP from the orchestrator.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Logging ---------------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s "
            "%(request_id)s %(tenant_id)s %(user_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # 4xx are in our own access log line (request.finished, with the request id);
        # keep django.request for 5xx.
        "django.request": {"level": "ERROR"},
        "celery": {"level": LOG_LEVEL},
    },
}

# W021 (HSTS preload) is a decision, not an oversight, while SECURE_HSTS_PRELOAD is off.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Export CSVs copy tickets out of the product: their files are deleted after this many days.
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=7)
# An export still pending this long after its request lost its task message: send it again.
EXPORT_REQUEUE_AFTER_SECONDS = env.int("EXPORT_REQUEUE_AFTER_SECONDS", default=300)

PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
