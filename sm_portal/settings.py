"""sm_portal settings: one module, every value from the environment (django-environ).

Profiles: the default is the local/demo profile (`make run`, `make test`);
`DJANGO_PROFILE=production` switches on secure cookies, HSTS and SSL redirect and
refuses the demo sign-in and flag overrides whatever the other variables say.
"""

from datetime import date, timedelta
from pathlib import Path

import environ

from sm_portal.logconfig import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PROFILE = env.str("DJANGO_PROFILE", default="local")
if PROFILE not in {"local", "production"}:
    raise environ.ImproperlyConfigured("DJANGO_PROFILE must be 'local' or 'production'")
PRODUCTION = PROFILE == "production"

SECRET_KEY = env.str(
    "SECRET_KEY", default="" if PRODUCTION else "insecure-local-only-secret-key-do-not-use"
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set in the production profile")
DEBUG = env.bool("DEBUG", default=not PRODUCTION) and not PRODUCTION
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)

# QA convenience: a page listing the bundle's demo accounts. Never in production.
DEMO_SIGN_IN = env.bool("DEMO_SIGN_IN", default=not PRODUCTION) and not PRODUCTION

# Where this deployment runs: "local" (the local profile), "staging" or "production" (the
# production profile's default). The QA tools (/qa/, /qa/api/, one-time sign-in links,
# per-test-veteran overrides) are on locally and, under the production profile, only with
# SM_ENVIRONMENT=staging and SM_QA_TOOLS=true: in production they are off whatever is set
# (and `check --deploy` warns when SM_QA_TOOLS is set there).
SM_ENVIRONMENT = env.str("SM_ENVIRONMENT", default="production" if PRODUCTION else "local")
if SM_ENVIRONMENT not in {"local", "staging", "production"}:
    raise environ.ImproperlyConfigured("SM_ENVIRONMENT must be 'local', 'staging' or 'production'")
SM_QA_TOOLS_REQUESTED = env.bool("SM_QA_TOOLS", default=False)
SM_QA_TOOLS = env.bool("SM_QA_TOOLS", default=not PRODUCTION) and (
    not PRODUCTION or SM_ENVIRONMENT == "staging"
)
# The deployment's "today" (an ISO date), for rehearsing a date in staging; empty: the real
# date. Every date rule reads it through messaging.common.clock.
SM_TODAY = env.str("SM_TODAY", default="")
if SM_TODAY:
    try:
        date.fromisoformat(SM_TODAY)
    except ValueError as exc:
        raise environ.ImproperlyConfigured("SM_TODAY must be a date: YYYY-MM-DD") from exc

INSTALLED_APPS = [
    # First, so that its management commands (waffle_flag) replace the libraries' own.
    "sm_portal",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "waffle",
    "rest_framework",
    "knox",
    "axes",
    "drf_spectacular",
    "django_guid",
    "messaging",
]
# Development tooling (simulate_traffic for `make run`): never installed in production.
if not PRODUCTION:
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    # A request id for every request (X-Request-ID in and out), on every log line.
    "django_guid.middleware.guid_middleware",
    "sm_portal.middleware.RequestLogMiddleware",
    # JSON only (brotli/gzip); HTML with CSRF tokens stays uncompressed (BREACH).
    "sm_portal.compression.JsonCompressionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # No browser or proxy keeps a response to a signed-in user (health data).
    "sm_portal.middleware.NoStoreForSignedInMiddleware",
    "csp.middleware.CSPMiddleware",
    # Deny by default: every view needs a signed-in user unless marked public.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "waffle.middleware.WaffleMiddleware",
    "messaging.middleware.FlowStateMiddleware",
    # Last: turns a sign-in refused for too many failures into the 429 (sm_portal.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sm_portal.urls"
WSGI_APPLICATION = "sm_portal.wsgi.application"

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
                "sm_portal.context_processors.site",
            ],
        },
    }
]
# Django form widgets render USWDS markup from templates/django/forms/.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Writers queue (BEGIN IMMEDIATE + busy timeout) instead of failing with "database is
    # locked"; the test database is a file so that threads in a race test really share it.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("SQLITE_TEST_DB", default=str(BASE_DIR / ".test-db.sqlite3"))
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
                # A Redis outage must not take the site down: reads miss, writes no-op.
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    # Without Redis: a cache every server process shares (a table in the same
    # database), so a flag change reaches all of them on the next request.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "sm_portal_cache",
        }
    }
# Sessions live in the database (cached reads when Redis is there), so a Redis outage
# signs nobody out.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Every password check goes through authenticate(); django-axes (first) refuses it while the
# account or the address is locked out. See "Password guessing" below.
AUTHENTICATION_BACKENDS = [
    "sm_portal.lockout.PasswordGuessingBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "sign-in"
LOGIN_REDIRECT_URL = "messaging:inbox"
LOGOUT_REDIRECT_URL = "sign-in"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static" / "build"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=PRODUCTION)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# A multipart body cut short is refused (400), never parsed without its last file or with
# its last field half there (messaging/compose/uploads.py); then Django's own handlers.
FILE_UPLOAD_HANDLERS = [
    "messaging.compose.uploads.WholeMultipartUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
WHITENOISE_MAX_AGE = 31536000 if PRODUCTION else 0

# Attachments are scanned by ClamAV's clamd before they are stored (messaging/compose/scanning.py).
# Development and tests: the scanner `make scanner` starts (scanner/start), its socket in the
# project folder. Production: CLAMD_SOCKET, or CLAMD_HOST and CLAMD_PORT, of a clamd kept up
# to date (docs/deploy.md); with neither, every attachment is refused with "try again".
CLAMD_SOCKET = env.str(
    "CLAMD_SOCKET", default="" if PRODUCTION else str(BASE_DIR / ".scanner" / "clamd.sock")
)
CLAMD_HOST = env.str("CLAMD_HOST", default="")
CLAMD_PORT = env.int("CLAMD_PORT", default=3310)
CLAMD_TIMEOUT = env.float("CLAMD_TIMEOUT", default=30.0)

# Waffle: our own flag model (chosen before the first migration), flags default off,
# no overriding a flag from the URL outside the local profile.
WAFFLE_FLAG_MODEL = "messaging.Flag"
WAFFLE_FLAG_DEFAULT = False
WAFFLE_OVERRIDE = env.bool("WAFFLE_OVERRIDE", default=False) and not PRODUCTION
WAFFLE_CREATE_MISSING_FLAGS = False

# Metrics go to a DogStatsD agent over UDP when a host is set (and always to the database).
DOGSTATSD_HOST = env.str("DOGSTATSD_HOST", default="")
DOGSTATSD_PORT = env.int("DOGSTATSD_PORT", default=8125)

# The flow's numbers (spec: both are settings).
SM_RECENT_TEAMS_MONTHS = env.int("SM_RECENT_TEAMS_MONTHS", default=6)
SM_RECENT_TEAMS_MAX = env.int("SM_RECENT_TEAMS_MAX", default=6)
# The one clock (messaging/common/clock.py): an ISO date fixes "today" for the deployment.
SM_TODAY = env.str("SM_TODAY", default="")
if SM_TODAY:
    try:
        __import__("datetime").date.fromisoformat(SM_TODAY)
    except ValueError as exc:
        raise environ.ImproperlyConfigured(
            f"SM_TODAY must be a date (YYYY-MM-DD), not {SM_TODAY!r}"
        ) from exc
# Metric events: raw rows kept this long (the dashboard reads hourly rollups; `manage.py
# prune_metrics` deletes older rows that are rolled up), rollups this long.
SM_METRIC_EVENT_RETENTION_DAYS = env.int("SM_METRIC_EVENT_RETENTION_DAYS", default=90)
SM_METRIC_ROLLUP_RETENTION_DAYS = env.int("SM_METRIC_ROLLUP_RETENTION_DAYS", default=800)

REST_FRAMEWORK = {
    # Token first, so an anonymous request gets 401 with WWW-Authenticate. One token system:
    # django-rest-knox (hashed, expiring, one per sign-in, revocable); ADR 0008.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["messaging.api.inflection.KeyInflectionJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["messaging.api.inflection.KeyInflectionJSONParser"],
    "EXCEPTION_HANDLER": "messaging.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}


def _duration(value: str) -> timedelta:
    """'12h', '30m', '45s' or plain seconds."""
    units = {"h": 3600, "m": 60, "s": 1}
    value = value.strip().lower()
    try:
        if value and value[-1] in units:
            seconds = int(value[:-1]) * units[value[-1]]
        else:
            seconds = int(value)
    except ValueError as exc:
        raise environ.ImproperlyConfigured(f"not a duration: {value!r} (e.g. 12h, 30m)") from exc
    if seconds <= 0:
        raise environ.ImproperlyConfigured(f"a duration must be positive: {value!r}")
    return timedelta(seconds=seconds)


# API tokens (django-rest-knox): a new one per sign-in (POST token), stored as a SHA-512
# digest, expiring after SM_TOKEN_TTL, revoked by DELETE token or "Signed-in devices".
SM_TOKEN_TTL = _duration(env.str("SM_TOKEN_TTL", default="12h"))
REST_KNOX = {
    "TOKEN_TTL": SM_TOKEN_TTL,
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "sm_portal messaging API",
    "DESCRIPTION": "VA.gov-compatible secure messaging (my_health/v1/messaging). "
    "Send `X-Key-Inflection: camel` for camelCase keys; `X-Platform` names the client.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# Content-Security-Policy (django-csp): our own files only; no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_AGE = 30 * 60

# Per-veteran rate limits (django-ratelimit, counted in the shared cache). If the cache is
# down the limits fail open: sending keeps working through a Redis outage.
SM_SEND_RATE = env.str("SM_SEND_RATE", default="10/m")
SM_DRAFT_RATE = env.str("SM_DRAFT_RATE", default="60/m")
SM_BEACON_RATE = env.str("SM_BEACON_RATE", default="120/m")
RATELIMIT_FAIL_OPEN = True

# Password guessing (django-axes): at most 10 failures per account, and per client address,
# in 15 minutes on every password check (sign-in page, API token; the admin signs in through
# the sign-in page); then that account or address gets 429 until 15 minutes after its last
# counted failure, the right password included. Attempts are counted in the database, not the
# cache: a cache outage can't open the limit, and without the database no password is checked
# at all (closed). A successful sign-in resets the count. Clear one by hand with
# `manage.py axes_reset_username NAME` or `manage.py axes_reset_ip ADDRESS`.
AXES_ENABLED = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("SM_SIGN_IN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SM_SIGN_IN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A successful sign-in resets the count of that account from that address (sm_portal.lockout;
# axes' own reset would also forget the address's failures on other accounts).
AXES_RESET_ON_SUCCESS = False
# Attempts during a lockout are refused without being counted: it ends when the window passes.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "sm_portal.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# No table of every sign-in with address and browser (nothing personal kept that isn't needed).
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# The client address: REMOTE_ADDR, or the address the trusted proxies in front report
# (SM_TRUSTED_PROXY_COUNT of them, each appending to X-Forwarded-For); never a header a
# client can set for itself.
AXES_IPWARE_PROXY_COUNT = env.int("SM_TRUSTED_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)
AXES_IPWARE_PROXY_ORDER = "right-most"

# Logs: one JSON object per line (production default) with the request id; never names,
# subjects, bodies, query strings or addresses. LOG_FORMAT=text for people reading a terminal.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
}
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
