"""All settings, read from the environment.

With no environment at all the service runs embedded: a SQLite file next to manage.py, an in-process
cache and background jobs run in-process. DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
NUM_PROXIES = int(os.environ.get("DJANGO_NUM_PROXIES", "0"))
# The embedded default is for a laptop; production settings refuse to start without a real key.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "embedded-default-key-not-for-production")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "csp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "linkage",
    "api",
    "analytics",
    "planner",
    "notifications",
    "workspace",
    "events",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a lockout of the admin login into its answer (the API's login answers itself).
    "axes.middleware.AxesMiddleware",
]
# Outermost: a GET or HEAD that met a database restart runs once more on a new connection.
MIDDLEWARE.insert(0, "config.middleware.RetryIdempotentReads")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # A kept connection is checked before each request reuses it: after a PostgreSQL
        # restart the next request reconnects instead of failing on the dead connection.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the API read while an import writes; the timeout waits out short write locks.
    # IMMEDIATE takes the write lock when a transaction starts: two concurrent writes then wait
    # for each other instead of one failing at once ("database is locked") when it upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")


def redis_cache(url: str) -> dict:
    """django-redis settings for ``url``.

    Short socket timeouts and IGNORE_EXCEPTIONS keep the API answering (uncached) when Redis is
    down, instead of hanging or failing every request.
    """
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "TIMEOUT": 3600,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
            "IGNORE_EXCEPTIONS": True,
        },
    }


def locmem_cache(location: str) -> dict:
    return {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": location,
        "TIMEOUT": 3600,
    }


if REDIS_URL:
    CACHES = {
        "default": redis_cache(REDIS_URL),
        # The throttles' counters: the same Redis, but its errors are raised, not ignored, so
        # that the throttles notice an outage and count in "throttle-local" instead of letting
        # every request through (api.throttling.FallbackCache).
        "throttle": redis_cache(REDIS_URL)
        | {"OPTIONS": {**redis_cache(REDIS_URL)["OPTIONS"], "IGNORE_EXCEPTIONS": False}},
    }
else:
    # One in-process store under both names ("throttle" shares "default"'s LOCATION).
    CACHES = {"default": locmem_cache("ocop-linkage"), "throttle": locmem_cache("ocop-linkage")}
# Each process's own count, used while the shared "throttle" cache cannot be reached.
CACHES["throttle-local"] = locmem_cache("ocop-linkage-throttle-local")
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# django-axes first: it refuses a locked-out account or address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The workspaces' sign-in page (Django's session login; axes counts its failures).
LOGIN_URL = "workspace-login"
LOGIN_REDIRECT_URL = "workspace-home"
LOGOUT_REDIRECT_URL = "workspace-login"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ReadOnlyOrAuthorised"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CappedPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.renderers.FormatNegotiation",
    # How many reverse proxies in front of the service append to X-Forwarded-For. 0: the socket's
    # address is the client and forwarded headers are ignored, so a client cannot pick its own
    # address for the throttles and the lockout; behind one proxy, 1: the address it appended.
    "NUM_PROXIES": NUM_PROXIES,
    # The login has a quota of its own in every run mode; production adds "anon" and "user".
    "DEFAULT_THROTTLE_RATES": {"login": os.environ.get("THROTTLE_LOGIN", "10/minute")},
}

# API tokens (django-rest-knox): stored hashed, sent as "Authorization: Token <key>", valid for
# TOKEN_TTL_HOURS from the login; auth/logout/ revokes one, auth/logout-all/ all of an account's.
TOKEN_TTL_HOURS = float(os.environ.get("TOKEN_TTL_HOURS", "10"))
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# Sign-in lockout (django-axes), for the admin login and the API's auth/login/ alike: after
# AXES_FAILURE_LIMIT failures for one account, or from one address, further attempts for it are
# refused for AXES_COOLOFF_MINUTES, even with the right password. A success resets the count.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout are refused without being counted, so the lockout ends on time.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The client's address by the same rule as the throttles' (NUM_PROXIES above).
AXES_CLIENT_IP_CALLABLE = "api.throttling.client_address"
AXES_VERBOSE = False

# Content-Security-Policy (django-csp): everything from this origin; inline <script> and <style>
# only with the response's nonce (request.csp_nonce, sent only when a template used it: the
# Swagger UI's style, ReDoc's script); no inline event handlers or style attributes; images also
# as data: URIs (the Swagger UI's icons) and from OpenStreetMap for the map's optional online
# layer (static/planner/map.js), the one resource from outside.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "https://tile.openstreetmap.org"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

SPECTACULAR_SETTINGS = {
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
    "TITLE": "OCOP Linkage API",
    "DESCRIPTION": (
        "Links OCOP producers with the buyers who can sell their products, and shows planners "
        "where the sales network has gaps."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SourcingRequestStatusEnum": "linkage.choices.RequestStatus",
        "JobStatusEnum": "linkage.jobs.JOB_STATUSES",
        "ProposalStateEnum": "linkage.choices.ProposalState",
    },
}

# Geocoding: offline by default. Set GEOCODER=nominatim (and GEOCODER_USER_AGENT) to let imports ask
# an online geocoder for rows that neither the area nor the offline gazetteer can place.
GEOCODER = os.environ.get("GEOCODER", "")
GEOCODER_USER_AGENT = os.environ.get("GEOCODER_USER_AGENT", "ocop-linkage")

# Programme target used by the statistics: newly rated products a year.
OCOP_YEARLY_TARGET = int(os.environ.get("OCOP_YEARLY_TARGET", "400"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Background jobs (siting, allocation at national scale). With Redis they go to django-rq workers
# (`python manage.py rqworker default`); without it they run in the request's own process.
RQ_QUEUES = {
    "default": {
        "URL": REDIS_URL or "redis://127.0.0.1:6379/0",
        "DEFAULT_TIMEOUT": 900,
    }
}
if REDIS_URL:
    INSTALLED_APPS.append("django_rq")

# Without Redis the outlet ranking is refitted in a thread of the process after a write, while
# requests keep the previous ranking; False makes the first request after a write wait for it.
RANKING_FIT_IN_BACKGROUND = True
# After a write, requests keep being answered from the registry's previous snapshot while a thread
# of each process reads the new one (their answers say so: "registry": {"current": false}); False
# makes the first request after a write wait for the new snapshot instead.
REGISTRY_REFRESH_IN_BACKGROUND = os.environ.get("REGISTRY_REFRESH_IN_BACKGROUND", "1") != "0"

# Imports and exports: what one upload may hold, and where whole-registry exports are kept.
# Defaults sit well above the national dataset (about 480,000 rows, 33 MB of CSV unpacked).
_MB = 2**20
# A request body other than files (forms, JSON) is held in memory: at most this many bytes.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * _MB))
# An uploaded file larger than this goes to a temporary file on disk rather than memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", 10 * _MB))
# The largest file import/ accepts (413 above it), checked before the body is read.
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("IMPORT_MAX_UPLOAD_BYTES", 200 * _MB))
# The most an upload may unpack to (a zip's CSV files, a workbook's parts), summed: the sizes
# the archive declares, and the bytes actually read, which stop at the limit.
IMPORT_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("IMPORT_MAX_UNCOMPRESSED_BYTES", 1024 * _MB))
# The most rows one table of an upload may have; a longer table is refused before it is parsed.
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 1_000_000))
# Uploads larger than this run as a background job (linkage.jobs' rule: with a queue, or with
# background=always), followed at jobs/<id>/; their file waits in IMPORT_UPLOAD_DIR meanwhile.
IMPORT_BACKGROUND_BYTES = int(os.environ.get("IMPORT_BACKGROUND_BYTES", 2 * _MB))
IMPORT_UPLOAD_DIR = Path(os.environ.get("IMPORT_UPLOAD_DIR", BASE_DIR / "var" / "imports"))
# Whole-registry exports (export.xlsx, export/<table>.csv|xlsx) are written once per registry
# version into EXPORT_DIR and served from there. The web processes and the job workers must see
# the same directory (one machine, or a shared volume).
EXPORT_DIR = Path(os.environ.get("EXPORT_DIR", BASE_DIR / "var" / "exports"))
# Exports of more rows than this are built by a job when a queue exists (else in the request).
EXPORT_INLINE_ROWS = int(os.environ.get("EXPORT_INLINE_ROWS", 5_000))

# Notifications (the notifications app). E-mail goes through Django's e-mail backend: the console
# (printed by the process) in the embedded default, SMTP when EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "OCOP Linkage <noreply@localhost>")
# Whether notifications are also sent by e-mail to users with an address (one e-mail each).
NOTIFICATION_EMAILS = env_bool("NOTIFICATION_EMAILS", True)
# Where the links in e-mails point: the service's public address.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# Webhooks: each POST waits at most this long; a failed delivery is tried again after each pause
# (seconds, doubling: rq on a worker) or, without a worker, up to WEBHOOK_INLINE_ATTEMPTS times in
# the process with pauses doubling from WEBHOOK_INLINE_BACKOFF_SECONDS.
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
WEBHOOK_RETRY_INTERVALS = (30, 120, 480, 1920)
WEBHOOK_INLINE_ATTEMPTS = 3
WEBHOOK_INLINE_BACKOFF_SECONDS = 1.0
# Webhooks to localhost and private networks are refused (SSRF) unless this is set.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
