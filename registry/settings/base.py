"""Settings shared by every environment; values come from the environment (django-environ).

The embedded default needs no service: SQLite and Celery tasks executed in-process.
Set ``DATABASE_URL`` and ``CELERY_BROKER_URL`` to run on PostgreSQL and a real broker.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ

from api.openapi_tags import SPECTACULAR_TAGS

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "registry.apps.RegistryAdminConfig",
    # Before django.contrib.auth: its createsuperuser (which validates --noinput passwords too)
    # takes the place of Django's.
    "accounts",
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
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "mozilla_django_oidc",
    "patients",
    "imaging",
    "consent",
    "access_log",
    "erasure",
    "demo",
    "progression",
    "exports",
    "api",
    "clinic",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "registry.security_headers.SecurityHeadersMiddleware",
    "api.django_errors.ApiBodyLimitMiddleware",
    "api.django_errors.ApiNotFoundMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Dates and numbers in the browser's locale; the words stay English (registry.locale).
    "registry.locale.FormatLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Ends a browser session past its idle or absolute limit before anything else looks at it.
    "accounts.session_timeout.SessionTimeoutMiddleware",
    # A session owing a second factor reaches only enrolment, verification and sign-out.
    "accounts.two_factor_middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Single sign-on sessions: the provider is asked again every few minutes (sso_revoked).
    "accounts.sso_revalidation.SsoRevalidationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "registry.audit.AuditContextMiddleware",
    # Writes the reads a view noted once the response has been sent (access_log.recording).
    "access_log.recording.AccessLogMiddleware",
    # An unreachable database or broker escaping a view: 503 + Retry-After, not a 500.
    "registry.outage.OutageMiddleware",
    # A PermissionDenied escaping a view: the styled 403 page, logged without a traceback.
    "registry.forbidden.ForbiddenMiddleware",
    # Last: turns a sign-in refused by the throttle into the lockout page (clinic.auth).
    "axes.middleware.AxesMiddleware",
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
                "clinic.context_processors.roles",
            ],
        },
    },
]

# An empty DATABASE_URL (as a copied .env.example leaves it) means the embedded default.
DATABASE_URL = env("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'registry.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A database that hangs (rather than refuses) must not hold a request for ever: connecting
    # gives up after this many seconds, and TCP keepalives notice a peer that went silent.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        connect_timeout=env.int("DATABASE_CONNECT_TIMEOUT", default=5),
        keepalives=1,
        keepalives_idle=30,
        keepalives_interval=10,
        keepalives_count=3,
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# The interface is in English; the browser's language (Accept-Language) chooses only how dates
# and numbers are written, among these locales (registry.locale). Others fall back to "en".
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English (US)"),
    ("en-gb", "English (UK)"),
    ("en-au", "English (Australia)"),
    ("de", "German"),
    ("fr", "French"),
    ("it", "Italian"),
    ("es", "Spanish"),
    ("nl", "Dutch"),
    ("pt", "Portuguese"),
    ("pt-br", "Portuguese (Brazil)"),
    ("sv", "Swedish"),
    ("da", "Danish"),
    ("nb", "Norwegian"),
    ("fi", "Finnish"),
    ("pl", "Polish"),
    ("cs", "Czech"),
]
TIME_ZONE = env("DJANGO_TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")

LOGIN_URL = "clinic:login"
LOGIN_REDIRECT_URL = "clinic:home"  # each role's own home (clinic.views.home)

# --- Sessions and password reset (accounts.session_timeout, docs/security.md) -----------------
# A browser session ends after this long without activity, and this long after its sign-in
# whatever the activity. The *_SECONDS variables, if set, take precedence (tests, drills).
REGISTRY_SESSION_IDLE_MINUTES = env.int("REGISTRY_SESSION_IDLE_MINUTES", default=30)
REGISTRY_SESSION_IDLE_SECONDS = env.int(
    "REGISTRY_SESSION_IDLE_SECONDS", default=REGISTRY_SESSION_IDLE_MINUTES * 60
)
REGISTRY_SESSION_MAX_HOURS = env.int("REGISTRY_SESSION_MAX_HOURS", default=12)
REGISTRY_SESSION_MAX_SECONDS = env.int(
    "REGISTRY_SESSION_MAX_SECONDS", default=REGISTRY_SESSION_MAX_HOURS * 3600
)
# The page shows its "Stay signed in" notice this long before the idle limit.
REGISTRY_SESSION_WARNING_SECONDS = env.int("REGISTRY_SESSION_WARNING_SECONDS", default=60)
# The cookie outlives no session (Django's default was 14 days); the limits above are enforced
# on the server whatever the cookie says.
SESSION_COOKIE_AGE = REGISTRY_SESSION_MAX_SECONDS
# Password reset by e-mail: printed on the console by default; SMTP from EMAIL_URL, e.g.
# smtp+tls://user:password@smtp.hospital.example:587 (empty: the console).
EMAIL_CONFIG = env.email_url_config(env("EMAIL_URL", default="") or "consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="") or "registry@localhost"
# A reset link is valid this long (Django's token).
PASSWORD_RESET_TIMEOUT = env.int("REGISTRY_PASSWORD_RESET_TIMEOUT_MINUTES", default=60) * 60
# Reset requests from one client address within the window before further ones are refused.
REGISTRY_PASSWORD_RESET_LIMIT = env.int("REGISTRY_PASSWORD_RESET_LIMIT", default=5)
REGISTRY_PASSWORD_RESET_WINDOW_MINUTES = env.int(
    "REGISTRY_PASSWORD_RESET_WINDOW_MINUTES", default=60
)

# --- Sign-in throttle (django-axes; accounts.login_throttle, docs/security.md) ----------------
# One throttle for every password sign-in (clinic and admin), in the authentication backend,
# counted in the database so that every web process shares it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "accounts.login_throttle.LoginThrottleHandler"
# Wrong passwords for one account from one client address before that pair is locked.
AXES_FAILURE_LIMIT = env.int("REGISTRY_LOGIN_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Wrong passwords from one client address, whatever the accounts (password spraying).
REGISTRY_LOGIN_ADDRESS_FAILURE_LIMIT = env.int("REGISTRY_LOGIN_ADDRESS_FAILURE_LIMIT", default=50)
# A lock ends this long after the last counted failure; refused attempts do not extend it.
REGISTRY_LOGIN_COOLOFF_MINUTES = env.int("REGISTRY_LOGIN_COOLOFF_MINUTES", default=15)
AXES_COOLOFF_TIME = timedelta(minutes=REGISTRY_LOGIN_COOLOFF_MINUTES)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the audit trail of failures and lockouts (admin)
AXES_ENABLE_ADMIN = False  # accounts.login_throttle_admin, registered on the registry's site
# Reverse proxies in front of the web processes that append the client to X-Forwarded-For.
# 0: the header is ignored (a client could write anything in it) and REMOTE_ADDR is the client.
REGISTRY_TRUSTED_PROXY_COUNT = env.int("REGISTRY_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.login_throttle.client_address"
AXES_USERNAME_CALLABLE = "accounts.login_throttle.client_username"
AXES_LOCKOUT_CALLABLE = "clinic.auth.lockout_response"

# --- Single sign-on, OpenID Connect (accounts.oidc, accounts.sso; docs/security.md) ----------
# Empty issuer: no single sign-on at all (no button, its routes answer 404).
REGISTRY_OIDC_ISSUER = env("REGISTRY_OIDC_ISSUER", default="")
REGISTRY_OIDC_CLIENT_ID = env("REGISTRY_OIDC_CLIENT_ID", default="")
REGISTRY_OIDC_CLIENT_SECRET = env("REGISTRY_OIDC_CLIENT_SECRET", default="")
REGISTRY_OIDC_SCOPES = env("REGISTRY_OIDC_SCOPES", default="openid email profile")
REGISTRY_OIDC_PROVIDER_NAME = env("REGISTRY_OIDC_PROVIDER_NAME", default="your hospital")
REGISTRY_OIDC_SIGN_ALGO = env("REGISTRY_OIDC_SIGN_ALGO", default="RS256")  # or ES256 (JWKS)
REGISTRY_OIDC_TIMEOUT_SECONDS = env.float("REGISTRY_OIDC_TIMEOUT_SECONDS", default=5.0)
# Endpoints come from the issuer's discovery document; these override it when set.
REGISTRY_OIDC_ENDPOINTS = {
    name: env(f"REGISTRY_OIDC_{name.upper()}", default="")
    for name in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
    )
}
REGISTRY_OIDC_CREATE_USERS = env.bool("REGISTRY_OIDC_CREATE_USERS", default=False)
REGISTRY_OIDC_GROUPS_CLAIM = env("REGISTRY_OIDC_GROUPS_CLAIM", default="")
REGISTRY_OIDC_GROUP_MAP = env("REGISTRY_OIDC_GROUP_MAP", default="")
REGISTRY_OIDC_REVALIDATE_SECONDS = env.int("REGISTRY_OIDC_REVALIDATE_SECONDS", default=300)
# 0: fail closed (an unreachable provider ends SSO sessions when their check is due).
REGISTRY_OIDC_REVALIDATE_GRACE_SECONDS = env.int(
    "REGISTRY_OIDC_REVALIDATE_GRACE_SECONDS", default=0
)
OIDC_AUTHENTICATION_CALLBACK_URL = "clinic:sso-callback"
if REGISTRY_OIDC_ISSUER:
    AUTHENTICATION_BACKENDS.append("accounts.oidc.RegistryOIDCBackend")

# --- Two-factor authentication (accounts.two_factor, docs/security.md) ------------------------
# Who must enrol an authenticator app: "all", "admins" (superusers and center admins), "center"
# (members of a center marked two_factor_required) or "off". Anyone enrolled is always asked.
REGISTRY_TWO_FACTOR_POLICY = env("REGISTRY_TWO_FACTOR_POLICY", default="admins")
# A single sign-on stands in for the second factor when the ID token's "amr" claim (RFC 8176)
# names a second factor the provider checked; never for a person enrolled here.
REGISTRY_OIDC_COUNTS_AS_TWO_FACTOR = env.bool("REGISTRY_OIDC_COUNTS_AS_TWO_FACTOR", default=True)
REGISTRY_OIDC_MFA_AMR = env.list(
    "REGISTRY_OIDC_MFA_AMR",
    default=["mfa", "otp", "hwk", "swk", "sc", "fpt", "face", "iris", "retina", "vbm", "pop"],
)
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env("REGISTRY_TWO_FACTOR_ISSUER", default="SSc calcinosis registry")

CACHES = {"default": env.cache_url_config(env("CACHE_URL", default="") or "locmemcache://")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A frozen Redis must not hang a request (issue 21): a cache call fails after this long,
    # and the request answers 503 with Retry-After (registry.outage).
    CACHE_SOCKET_TIMEOUT = env.float("CACHE_SOCKET_TIMEOUT", default=1.0)
    CACHES["default"].setdefault("OPTIONS", {}).update(
        socket_timeout=CACHE_SOCKET_TIMEOUT, socket_connect_timeout=CACHE_SOCKET_TIMEOUT
    )

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.RegistryPermission"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.RegistryCursorPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "api.filter_backends.StrictFilterBackend",
        "api.filter_backends.StableOrderingFilter",
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
    "EXCEPTION_HANDLER": "api.exception_handler.exception_handler",
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
    "TAGS": SPECTACULAR_TAGS,  # one per resource, in people's words (api.openapi_tags)
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
        "api.schema.enum_bounds_dropped",
    ],
}
REGISTRY_API_MAX_BODY_BYTES = env.int("REGISTRY_API_MAX_BODY_BYTES", default=1_000_000)
REGISTRY_UPLOAD_PATHS = ("/api/v1/radiographs/dicom/", "/api/v1/imports/")
REGISTRY_UPLOAD_MAX_BODY_BYTES = env.int("REGISTRY_UPLOAD_MAX_BODY_BYTES", default=500_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = REGISTRY_API_MAX_BODY_BYTES
REGISTRY_IDEMPOTENCY_HOURS = env.int("REGISTRY_IDEMPOTENCY_HOURS", default=24)
# Retry-After of a 503 answered while the database, broker or cache is unreachable.
REGISTRY_OUTAGE_RETRY_AFTER_SECONDS = env.int("REGISTRY_OUTAGE_RETRY_AFTER_SECONDS", default=30)
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
# Redis keeps an unacked task invisible for visibility_timeout seconds, then hands it to another
# worker; the timeout must exceed the longest task, so long tasks run in time slices. Measured
# here with kombu 5.5: a SIGKILLed worker's task reached an already running worker after ~100 s
# (shared/RECIPES.md's unacked_restore_* options do not exist in this kombu and are not set),
# and a worker started after the timeout takes it at once. The progression sweep re-queues
# dirty patients within a minute regardless (tests/integration/test_celery_worker.py).
# A broker that hangs (a half-dead network, an overloaded Redis) must fail a publish as fast as
# one that refuses: without socket timeouts a request waited for gunicorn's 30 s timeout and
# was killed after its commit (issue 21). Measured through a frozen proxy: a publish gives up
# after one socket timeout; publishing is a single attempt (registry.enqueue, and no publish
# retry here, which also bounds beat's sends); the sweeps queue what was not sent.
CELERY_BROKER_SOCKET_TIMEOUT = env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
    "socket_timeout": CELERY_BROKER_SOCKET_TIMEOUT,
    "socket_connect_timeout": CELERY_BROKER_SOCKET_TIMEOUT,
    "retry_on_timeout": False,
    "socket_keepalive": True,
    "health_check_interval": 10,  # a pooled connection idle this long is pinged before use
}
CELERY_BROKER_CONNECTION_TIMEOUT = CELERY_BROKER_SOCKET_TIMEOUT
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# The sweep recomputes every patient whose data changed since its snapshot: the safety net for
# enqueues lost while the broker was down (cohort jobs: the stale-job sweep, below). A sweep that
# waited longer than one period is dropped (expires): the next one does the same work.
REGISTRY_PROGRESSION_SWEEP_SECONDS = env.float("REGISTRY_PROGRESSION_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE: dict = {
    "progression-sweep": {
        "task": "progression.tasks.sweep_dirty_patients",
        "schedule": REGISTRY_PROGRESSION_SWEEP_SECONDS,
        "options": {"expires": REGISTRY_PROGRESSION_SWEEP_SECONDS},
    },
}

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

# --- DICOM ingest (imaging.dicom.ingest, import_dicom, dicom_scp) --------------------------------
# Key of the de-identified UID mapping and of the source-patient fingerprint (imaging.dicom.keys).
# Empty: derived from SECRET_KEY (local only; production requires it, it must never change).
REGISTRY_DICOM_UID_KEY = env("REGISTRY_DICOM_UID_KEY", default="")
# STORAGES alias holding the de-identified files and previews ("default": MEDIA_ROOT).
REGISTRY_DICOM_STORAGE = env("REGISTRY_DICOM_STORAGE", default="default")
REGISTRY_DICOM_MAX_FILE_MB = env.int("REGISTRY_DICOM_MAX_FILE_MB", default=100)
REGISTRY_DICOM_MAX_FILES = env.int("REGISTRY_DICOM_MAX_FILES", default=50)
# Limits on what one file may cost, checked before decoding (imaging.dicom.limits, docs/security.md)
REGISTRY_DICOM_MAX_PIXEL_DATA_MB = env.int("REGISTRY_DICOM_MAX_PIXEL_DATA_MB", default=256)
REGISTRY_DICOM_MAX_INFLATED_MB = env.int("REGISTRY_DICOM_MAX_INFLATED_MB", default=256)
REGISTRY_DICOM_MAX_ELEMENTS = env.int("REGISTRY_DICOM_MAX_ELEMENTS", default=20000)
REGISTRY_DICOM_MAX_DEPTH = env.int("REGISTRY_DICOM_MAX_DEPTH", default=16)
# Compressed frames are decoded in a child process with this memory and time (imaging.dicom.sandbox)
REGISTRY_DICOM_DECODE_MEMORY_MB = env.int("REGISTRY_DICOM_DECODE_MEMORY_MB", default=1024)
REGISTRY_DICOM_DECODE_TIMEOUT_S = env.float("REGISTRY_DICOM_DECODE_TIMEOUT_S", default=30)
# Calling AE title -> center code of the DICOM receiver, e.g. "PACS1=demo-north,MOD2=demo-lake".
REGISTRY_DICOM_CALLING_AE = env.dict("REGISTRY_DICOM_CALLING_AE", default={})
# Center code -> accepted (0010,0021) Issuers of Patient ID, e.g. "demo-north=HOSP-N;HOSP-N2".
# A file whose issuer is not listed for a center that lists some waits in the unmatched queue.
REGISTRY_DICOM_ISSUERS = env.dict("REGISTRY_DICOM_ISSUERS", cast={"value": list}, default={})
# --- Erasure (erasure/, docs/governance.md) ---------------------------------------------------
# Key of the tombstone's HMAC of an erased registry id. Empty: derived from SECRET_KEY.
REGISTRY_ERASURE_KEY = env("REGISTRY_ERASURE_KEY", default="")
# SQLite only: PRAGMA secure_delete on every connection, so deleted rows leave no bytes behind.
REGISTRY_SQLITE_SECURE_DELETE = env.bool("REGISTRY_SQLITE_SECURE_DELETE", default=True)

# Region of an image whose (0018,0015) Body Part Examined is EXTREMITY, absent or unknown.
REGISTRY_DICOM_DEFAULT_BODY_REGION = env("REGISTRY_DICOM_DEFAULT_BODY_REGION", default="hand")
# Longer side in pixels of the two PNG previews.
REGISTRY_DICOM_PREVIEW_SIZES = {"thumb": 256, "viewer": 1024}
# Previews left pending this long (broker down when enqueued, worker killed) are enqueued again,
# checked as often: at the progression sweep's cadence (issue 21: previews waited ~14 minutes).
REGISTRY_DICOM_PREVIEW_SWEEP_SECONDS = env.float("REGISTRY_DICOM_PREVIEW_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["dicom-previews-sweep"] = {
    "task": "imaging.tasks.sweep_pending_dicom_previews",
    "schedule": REGISTRY_DICOM_PREVIEW_SWEEP_SECONDS,
    "options": {"expires": REGISTRY_DICOM_PREVIEW_SWEEP_SECONDS},
}
# Stored files that no row references (a cut between writing a file and inserting its row) are
# deleted once this old (imaging.dicom.orphans); the sweep runs hourly.
REGISTRY_DICOM_ORPHAN_GRACE_HOURS = env.float("REGISTRY_DICOM_ORPHAN_GRACE_HOURS", default=24)
CELERY_BEAT_SCHEDULE["dicom-orphan-files-sweep"] = {
    "task": "imaging.tasks.sweep_orphan_dicom_files",
    "schedule": 3600.0,
    "options": {"expires": 3600.0},
}

# --- Calcinosis progression (DOMAIN.md "Calcinosis progression"; progression app) ------------
# Default rules (Valenzuela 2022 +/-25 %, RECIST-like 2 mm floor); a request may override them.
REGISTRY_PROGRESSION_RULES = {
    "absolute_floor_mm": env.float("REGISTRY_PROGRESSION_FLOOR_MM", default=2.0),
    "progression_fraction": env.float("REGISTRY_PROGRESSION_FRACTION", default=0.25),
    "regression_fraction": env.float("REGISTRY_REGRESSION_FRACTION", default=0.25),
}
# Changes within this many seconds of the last enqueue coalesce into one trailing recomputation;
# a change after a quiet period is recomputed at once.
REGISTRY_PROGRESSION_DEBOUNCE_SECONDS = env.float(
    "REGISTRY_PROGRESSION_DEBOUNCE_SECONDS", default=1.0
)
# Patients loaded, computed and written together (a few queries per batch, not per patient).
REGISTRY_PROGRESSION_BATCH_SIZE = env.int("REGISTRY_PROGRESSION_BATCH_SIZE", default=200)
# A cohort job's batches: larger, as every batch costs a dozen statements whatever its size
# (one batch of 1,000 patients holds ~24,000 lesions in memory, a few MB).
REGISTRY_PROGRESSION_JOB_BATCH_SIZE = env.int("REGISTRY_PROGRESSION_JOB_BATCH_SIZE", default=1000)
# A cohort job on a broker is split into this many parts, one task each: as many as the worker
# processes that should share it (a worker's default concurrency is the machine's CPU count).
REGISTRY_PROGRESSION_JOB_PARTS = env.int(
    "REGISTRY_PROGRESSION_JOB_PARTS", default=os.cpu_count() or 1
)
# A cohort task works this long, then re-enqueues itself: it must stay well under the visibility
# timeout, or Redis hands the still-running task to a second worker.
REGISTRY_PROGRESSION_JOB_SLICE_SECONDS = env.float(
    "REGISTRY_PROGRESSION_JOB_SLICE_SECONDS",
    default=CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] / 5,
)
# A queued patient recomputation with no sign of life after this long is considered lost (the
# broker was flushed) and is queued again by the sweep; the tasks are idempotent. (Cohort jobs:
# REGISTRY_JOB_STALE_AFTER_SECONDS.)
REGISTRY_PROGRESSION_REQUEUE_AFTER_SECONDS = env.float(
    "REGISTRY_PROGRESSION_REQUEUE_AFTER_SECONDS",
    default=2 * CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"],
)

# --- Research exports and imports (exports app; issue 6) ------------------------------------
# Key from which a project key's pseudonyms and date offsets are derived (exports.pseudonyms).
# Empty: derived from SECRET_KEY. Changing it changes every project's pseudonyms.
REGISTRY_EXPORT_KEY = env("REGISTRY_EXPORT_KEY", default="")
# STORAGES alias holding finished export files ("default": MEDIA_ROOT).
REGISTRY_EXPORT_STORAGE = env("REGISTRY_EXPORT_STORAGE", default="default")
# Minimum cell size for researchers: research exports selecting fewer patients are refused,
# cohort statistics below it suppressed (docs/security.md, "What researchers see").
REGISTRY_MIN_CELL_SIZE = env.int("REGISTRY_MIN_CELL_SIZE", default=5)
# A finished export can be downloaded for this long, then its file is deleted (410 Gone).
REGISTRY_EXPORT_EXPIRY_HOURS = env.int("REGISTRY_EXPORT_EXPIRY_HOURS", default=72)
# XLSX is for small cohorts: larger exports are refused (Excel's own limit is 1,048,576 rows).
REGISTRY_EXPORT_XLSX_MAX_ROWS = env.int("REGISTRY_EXPORT_XLSX_MAX_ROWS", default=100_000)
# SPSS and Stata files are built in memory (pyreadstat writes whole frames): larger exports are
# refused. 1,000,000 lesion rows peaked at 270 MB, 2,000,000 at 340 MB (benchmarks/README.md).
REGISTRY_EXPORT_LABELLED_MAX_ROWS = env.int(
    "REGISTRY_EXPORT_LABELLED_MAX_ROWS", default=2_000_000
)
# "shift" date mode: each patient's dates move by a random whole number of days in +/- this.
REGISTRY_EXPORT_DATE_SHIFT_DAYS = env.int("REGISTRY_EXPORT_DATE_SHIFT_DAYS", default=365)
# Rows per Parquet row group: one row group is in memory at a time.
REGISTRY_EXPORT_PARQUET_ROW_GROUP = env.int("REGISTRY_EXPORT_PARQUET_ROW_GROUP", default=100_000)
# Progress (done/total) is written every this many rows.
REGISTRY_EXPORT_PROGRESS_ROWS = env.int("REGISTRY_EXPORT_PROGRESS_ROWS", default=50_000)
# Re-identification risk (exports.disclosure, issue 17): every export reports its k-anonymity
# over the quasi-identifiers; groups smaller than this K are counted, and a generalized export
# coarsens, then suppresses, until every group holds at least K patients.
REGISTRY_EXPORT_K_ANONYMITY = env.int("REGISTRY_EXPORT_K_ANONYMITY", default=5)
# Researchers' exports are always generalized (they cannot turn it off); False: they choose.
REGISTRY_EXPORT_RESEARCH_GENERALIZE = env.bool("REGISTRY_EXPORT_RESEARCH_GENERALIZE", default=True)
# Generalizing: centers with fewer patients than this in the export become "(other)".
REGISTRY_EXPORT_SMALL_CENTER = env.int("REGISTRY_EXPORT_SMALL_CENTER", default=20)
# An import file has at most this many data rows (validated in full before anything is written).
REGISTRY_IMPORT_MAX_ROWS = env.int("REGISTRY_IMPORT_MAX_ROWS", default=50_000)
# An import file is kept in memory (it holds local identifiers), up to this size.
REGISTRY_IMPORT_MAX_MB = env.int("REGISTRY_IMPORT_MAX_MB", default=20)
CELERY_BEAT_SCHEDULE["exports-expire"] = {
    "task": "exports.tasks.expire_exports",
    "schedule": 3600.0,
    "options": {"expires": 3600.0},
}

# --- Consent (consent app; issue 15; docs/governance.md) ------------------------------------
# Researchers see only patients whose research-use consent is granted (accounts.access).
REGISTRY_CONSENT_REQUIRED_FOR_RESEARCH = env.bool(
    "REGISTRY_CONSENT_REQUIRED_FOR_RESEARCH", default=True
)
# A patient with no consent record at all (data entered before consent was recorded): True
# counts as consented for research (and radiographs), False as not.
REGISTRY_CONSENT_NOT_RECORDED_RESEARCH = env.bool(
    "REGISTRY_CONSENT_NOT_RECORDED_RESEARCH", default=False
)
# A consent document's PDF is at most this large.
REGISTRY_CONSENT_PDF_MAX_MB = env.int("REGISTRY_CONSENT_PDF_MAX_MB", default=20)

# --- Access log (access_log app; issue 15; docs/governance.md "Access log") ------------------
# Entries older than this are deleted by a daily beat task. Six years: as long as HIPAA keeps
# compliance records (45 CFR 164.316(b)(2)); a data protection officer may shorten it.
REGISTRY_ACCESS_LOG_RETENTION_DAYS = env.int("REGISTRY_ACCESS_LOG_RETENTION_DAYS", default=2190)
CELERY_BEAT_SCHEDULE["access-log-prune"] = {
    "task": "access_log.tasks.prune_access_log",
    "schedule": 86400.0,
    "options": {"expires": 86400.0},
}

# --- Background jobs (registry.jobs, registry.job_sweep; docs/operations.md) -----------------
# A task holding a job (export, cohort recomputation) writes its heartbeat this often.
REGISTRY_JOB_HEARTBEAT_SECONDS = env.float("REGISTRY_JOB_HEARTBEAT_SECONDS", default=10)
# A running job silent this long lost its worker: the sweep queues it again (a pending job this
# old lost its message). Above the longest wait of a cohort job's next slice in the queue.
REGISTRY_JOB_STALE_AFTER_SECONDS = env.float("REGISTRY_JOB_STALE_AFTER_SECONDS", default=120)
# A job whose worker stopped this many times fails with the reason instead of running again.
REGISTRY_JOB_MAX_ATTEMPTS = env.int("REGISTRY_JOB_MAX_ATTEMPTS", default=3)
# How often beat runs the stale-job sweep (which also removes dead runs' scratch folders).
REGISTRY_JOB_SWEEP_SECONDS = env.float("REGISTRY_JOB_SWEEP_SECONDS", default=30)
CELERY_IMPORTS = ["registry.tasks"]  # not an installed app: autodiscovery does not find it
CELERY_BEAT_SCHEDULE["jobs-sweep"] = {
    "task": "registry.tasks.sweep_stale_jobs",
    "schedule": REGISTRY_JOB_SWEEP_SECONDS,
    "options": {"expires": REGISTRY_JOB_SWEEP_SECONDS},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}
