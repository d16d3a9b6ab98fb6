"""Settings shared by every environment; values come from the environment (django-environ).

The embedded default needs no service: SQLite and Celery tasks executed in-process.
Set ``DATABASE_URL`` and ``CELERY_BROKER_URL`` to run on PostgreSQL and a real broker.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "accounts",
    "patients",
    "imaging",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "api.http_errors.ApiBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "registry.audit.AuditContextMiddleware",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"

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
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'registry.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = env("DJANGO_TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")

LOGIN_URL = "admin:login"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.RegistryPermission"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.RegistryCursorPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "api.filtering.StrictFilterBackend",
        "api.filtering.StableOrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("REGISTRY_THROTTLE_ANON", default="60/min"),
        "user": env("REGISTRY_THROTTLE_USER", default="1200/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "api.schema.RegistryAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": False,
    "DATE_INPUT_FORMATS": ["iso-8601"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Calcinosis in SSc registry API",
    "DESCRIPTION": (
        "Patients with systemic sclerosis, visits, hand radiographs and calcinosis lesions, with "
        "computed classification, disease duration and progression. Errors always have the shape "
        '`{"errors": [{"field", "code", "message"}]}`. Writes accept what reads return '
        "(read-only fields are ignored; unknown fields are refused). Send `If-Match` with the "
        "ETag you read to refuse a write on a record changed since (412); a write without "
        "`If-Match` is accepted. POST accepts `Idempotency-Key`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SideEnum": "imaging.choices.Side",
        "LateralityEnum": "imaging.choices.Laterality",
        "AntibodyResultEnum": "patients.choices.AntibodyResult",
        "SpacingSourceEnum": "imaging.choices.SpacingSource",
        "SscSubtypeEnum": "patients.choices.SscSubtype",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.strict_request_bodies",
    ],
}
REGISTRY_API_MAX_BODY_BYTES = env.int("REGISTRY_API_MAX_BODY_BYTES", default=1_000_000)
REGISTRY_UPLOAD_PATHS = ("/api/v1/radiographs/dicom/", "/api/v1/imports/")
REGISTRY_UPLOAD_MAX_BODY_BYTES = env.int("REGISTRY_UPLOAD_MAX_BODY_BYTES", default=500_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = REGISTRY_API_MAX_BODY_BYTES
REGISTRY_IDEMPOTENCY_HOURS = env.int("REGISTRY_IDEMPOTENCY_HOURS", default=24)
SIMPLE_HISTORY_REVERT_DISABLED = True  # history is a record, not an undo button

# --- Celery ---------------------------------------------------------------------------------
# Without a broker the tasks run in-process (the embedded default); with one they go to workers.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# A SIGKILLed prefork child must not silently mark its task failed (shared/RECIPES.md).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis keeps an unacked task invisible for visibility_timeout seconds; the measured recipe
# (shared/RECIPES.md) brings a killed worker's task back after ~16 s with these values. The
# timeout must exceed the longest task, so long tasks are split into batches.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
    "unacked_restore_interval": 2,
    "unacked_restore_throttle": 1,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}

# --- Registry rules -------------------------------------------------------------------------
# Plausible longest diameter of a single deposit per body region, in mm (DOMAIN.md: a hand
# deposit up to ~60 mm; larger is an entry error unless the region is larger, e.g. forearm sheets).
REGISTRY_MAX_LESION_DIAMETER_MM = {
    "hand": 60,
    "wrist": 60,
    "foot": 80,
    "elbow": 150,
    "knee": 150,
    "forearm": 300,
    "other": 300,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}
