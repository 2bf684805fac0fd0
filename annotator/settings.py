"""Settings, read from environment variables (see README)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from annotator.nlp.remote_hosts import parse_rules as parse_remote_hosts

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


DEBUG = envbool("DEBUG", "1")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (the same value on every web process and "
            "worker), e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"  # noqa: S105
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from our own static files, no CDN
    "annotator",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "annotator.middleware.RefuseNulMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "annotator.middleware.HtmxRefusalMiddleware",
]

# Content-Security-Policy (README, Security): scripts, styles and everything else only from this
# site's own files; no inline script or style, no eval, no on* attributes, no plug-ins, no
# framing, forms post only here. htmx is configured for it in base.html (allowEval false, its
# indicator styles in app.css). The API's Swagger UI page has its own, looser policy
# (annotator/api/urls.py).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

ROOT_URLCONF = "annotator.urls"
WSGI_APPLICATION = "annotator.wsgi.application"

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
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'annotator.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker writes; IMMEDIATE avoids lock upgrades failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}
# The few statements every edit runs are prepared once per connection on PostgreSQL
# (annotator/prepared.py); off for a pooler that cannot keep them (pgbouncer in transaction
# mode before 1.21).
DB_PREPARED_STATEMENTS = envbool("DB_PREPARED_STATEMENTS", "1")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")

# Django's ModelBackend, reading the session's user with a statement written once.
AUTHENTICATION_BACKENDS = ["annotator.auth_backend.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Sessions are rows, read from the cache first (Redis or files); the database on a miss, and
# while Redis is down (annotator/cache.py), so logging in and pages keep working without it.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "annotator-project-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))
WHITENOISE_USE_FINDERS = DEBUG
# In production `collectstatic` writes hashed, compressed copies that WhiteNoise serves with a
# far-future cache header; with DEBUG on (runserver, tests) files come straight from static/.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads above this size are spooled to disk by Django rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = envint("FILE_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = 100

# How many sentences a document page shows at once.
SENTENCES_PER_PAGE = envint("SENTENCES_PER_PAGE", 50)
DOCUMENTS_PER_PAGE = envint("DOCUMENTS_PER_PAGE", 200)  # the project page's table

# The API (annotator/api/, README "API"): tokens for scripts, the session (with CSRF) for the
# browser. Token first, so an anonymous request is answered 401 with a WWW-Authenticate header.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "annotator.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "annotator.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "annotator.api.exceptions.handler",
    # Token clients only (session users are people at a page); counted in the shared cache.
    "DEFAULT_THROTTLE_CLASSES": ["annotator.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": os.environ.get("API_RATE", "600/minute")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "annotator API",
    "DESCRIPTION": "Projects, documents (CoNLL in and out), sentences and span edits, tasks, "
    'jobs and models of the annotator. Errors are {"detail": ...}.',
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "TAGS": [  # the order of the interactive page
        {"name": "projects", "description": "Labels, scheme, settings, members."},
        {"name": "documents", "description": "Upload and download CoNLL, JSONL."},
        {"name": "sentences", "description": "Tags per layer; span edits; review marks."},
        {"name": "tasks", "description": "Assignment and the review workflow."},
        {"name": "jobs", "description": "Pre-annotation, training, likely errors: start, poll."},
        {"name": "models", "description": "Pre-annotation models."},
        {"name": "agreement", "description": "Agreement reports; gold by vote."},
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema promises what the API holds requests to (annotator/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "annotator.api.schema.hold_to_what_is_checked",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TagSchemeEnum": "annotator.models.SCHEME_CHOICES",
        "UploadSchemeEnum": "annotator.forms.SCHEMES",
        "TaskStateEnum": "annotator.models.Task.State",
        "AdjudicationRuleEnum": "annotator.models.ADJUDICATION_RULES",
        "JobStateEnum": "annotator.models.Job.State",
        "RoleEnum": "annotator.models.Membership.Role",
        "ModelKindEnum": "annotator.taggers.registry.CHOICES",
        "LayerKindEnum": "annotator.models.TagLayer.Kind",
    },
}

# Everything to stdout, where containers and process managers collect it. Django's, Celery's
# and our loggers have no handler of their own: they propagate to the root's console.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {name: {"level": LOG_LEVEL} for name in ("django", "celery", "annotator")},
}

# Production: HTTPS only, secure cookies and headers (`manage.py check --deploy` is clean with
# the defaults). TLS usually ends at a proxy in front of gunicorn: name the header it sets
# (SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto) so Django knows a request came over HTTPS.
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1")
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # container health checks call it over plain HTTP
    _proxy_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip()
    if _proxy_header:
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "1")
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "1")
    # Off only for a plain-HTTP run (CI's smoke test): browsers drop secure cookies over HTTP.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", "1")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

# Celery. With REDIS_URL: Redis as broker and result backend. Without it (the `make run`
# default): kombu's filesystem transport, which needs no server, only a folder that the web
# process and the worker share, so a newcomer still gets a real worker process.
CELERY_DATA = BASE_DIR / "var" / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A job whose worker died unacknowledged is delivered again after this many seconds.
        "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600),
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = None
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA / "queue"),
        "data_folder_out": str(CELERY_DATA / "queue"),
        "processed_folder": str(CELERY_DATA / "processed"),
        "control_folder": str(CELERY_DATA / "control"),
        "store_processed": False,
    }
# Jobs are acknowledged when done, not when received: a worker killed mid-job leaves the
# message to be delivered again, and the job (idempotent, one transaction) runs once more.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True  # results live in Job rows
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "0")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Uploads larger than this (bytes, documents or sentences in all) are imported by a job, with
# progress, instead of in the request: within gunicorn's 120 s even on a busy machine (a quiet
# one imports about 400,000 tokens, 300 documents or 18,000 sentences a second on PostgreSQL).
IMPORT_JOB_THRESHOLD = envint("IMPORT_JOB_THRESHOLD", 20 * 1024 * 1024)
IMPORT_JOB_DOCUMENTS = envint("IMPORT_JOB_DOCUMENTS", 1_000)
IMPORT_JOB_SENTENCES = envint("IMPORT_JOB_SENTENCES", 50_000)
# Projects above this many documents or tokens are downloaded as one file through an export job
# (a file with its length and checksum), not built in the request (services/exports.py).
EXPORT_JOB_DOCUMENTS = envint("EXPORT_JOB_DOCUMENTS", 500)
EXPORT_JOB_TOKENS = envint("EXPORT_JOB_TOKENS", 2_000_000)
EXPORT_KEEP_HOURS = envint("EXPORT_KEEP_HOURS", 24)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
# A worker counts as running when it wrote a heartbeat this recently (seconds). The heartbeat
# is a thread, and crfsuite's training holds the GIL between iterations: on a loaded machine a
# busy worker went 20 s without a beat, and another took its job for orphaned (60 s keeps a
# killed worker's job waiting a little longer instead).
WORKER_HEARTBEAT_EVERY = envint("WORKER_HEARTBEAT_EVERY", 5)
WORKER_ALIVE_WITHIN = envint("WORKER_ALIVE_WITHIN", 60)
# Workers send again the queued jobs whose send failed (broker unreachable) once they are this
# old, and those whose last send is older than JOB_RESEND_AFTER (a message lost with a flushed
# broker); a job sent twice still runs once (services/jobs.py).
JOB_SEND_GRACE = envint("JOB_SEND_GRACE", 10)
JOB_RESEND_AFTER = envint("JOB_RESEND_AFTER", 600)
# A send to an unreachable broker fails within seconds, so the request that queued the job
# still answers (the job waits in the database; a worker sends it later).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}


# The cache carries live job progress between the worker and the pages: Redis when there is
# one, else files in var/ (shared by processes, and never blocked by a long write transaction).
# A Redis that does not answer degrades to "nothing cached" (annotator/cache.py): sessions are
# rows too, the rate limit fails open, job progress falls back to the Job row.
def redis_cache(url: str) -> dict:
    return {
        "BACKEND": "annotator.cache.DegradingRedisCache",
        "LOCATION": url,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(BASE_DIR / "var" / "cache"),
        }
    }
# Remote models may call only these servers (README, Security): host names, addresses or
# networks, each with an optional port, comma-separated. Empty: no remote model at all.
REMOTE_MODEL_HOSTS = [h.strip() for h in os.environ.get("REMOTE_MODEL_HOSTS", "").split(",")]
REMOTE_MODEL_HOSTS = [h for h in REMOTE_MODEL_HOSTS if h]
try:
    parse_remote_hosts(REMOTE_MODEL_HOSTS)
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from error
# Trained models; on several machines, a path they all share.
MODEL_ROOT = Path(os.environ.get("MODEL_ROOT", BASE_DIR / "var" / "models"))
