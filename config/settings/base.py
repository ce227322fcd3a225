"""All settings, read from the environment.

With no environment at all the service runs embedded: a SQLite file next to manage.py, an in-process
cache and background jobs run in-process. DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "linkage",
    "api",
    "analytics",
    "planner",
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
]

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
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
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


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ocop-linkage",
            "TIMEOUT": 3600,
        }
    }
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

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
        "rest_framework.authentication.TokenAuthentication",
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
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.renderers.FormatNegotiation",
}

SPECTACULAR_SETTINGS = {
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
