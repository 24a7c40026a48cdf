"""Django settings, read from the environment (DESIGN §5).

The embedded default is SQLite in WAL mode under ``$PAYDESK_HOME`` with tasks run in-process; setting
``DATABASE_URL`` and ``REDIS_URL`` switches to PostgreSQL and Celery/Redis. Secrets never live in the code:
without ``PAYDESK_SECRET_KEY`` a random key is generated once and kept under ``$PAYDESK_HOME``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PAYDESK_HOME = Path(os.environ.get("PAYDESK_HOME", "./.paydesk")).resolve()
PAYDESK_HOME.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    from_env = os.environ.get("PAYDESK_SECRET_KEY")
    if from_env:
        return from_env
    key_file = PAYDESK_HOME / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = _env_bool("PAYDESK_DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("PAYDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("PAYDESK_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "paydesk.core",
    "paydesk.payments",
    "paydesk.simulate",
    "paydesk.tickets",
    "paydesk.sla",
    "paydesk.reconciliation",
    "paydesk.web",
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

ROOT_URLCONF = "paydesk.config.urls"
ASGI_APPLICATION = "paydesk.config.asgi.application"
WSGI_APPLICATION = "paydesk.config.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

SQLITE_PATH = PAYDESK_HOME / "paydesk.sqlite3"


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if url:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        if config["ENGINE"] == "django.db.backends.postgresql":
            config.setdefault("TEST", {})["NAME"] = os.environ.get("PAYDESK_TEST_DB_NAME", "test_paydesk")
            # Prepared statements only where the code asks for them (core/prepared.py: the webhook receipt's two
            # statements), never automatically: Django's own cursor binds on the client and never prepares.
            # Behind PgBouncer in transaction mode older than 1.21, set PAYDESK_DB_PREPARED_STATEMENTS=0.
            if _env_bool("PAYDESK_DB_PREPARED_STATEMENTS", default=True):
                config.setdefault("OPTIONS", {})["prepare_threshold"] = 1_000_000
            # A served process has PAYDESK_HTTP_THREADS request threads (config/asgi.py) plus the scheduler and
            # webhook-processing threads; a per-process pool bounds their connections (without one, per-thread
            # connections piled up until PostgreSQL refused clients at 200 webhooks/s) and hands each request a
            # connection for its duration.
            # One-shot CLI commands and tests connect directly: a pool there only adds a 10 s wait and noisy
            # retries when the server is unreachable. `paydesk serve`/`demo` set PAYDESK_SERVING=1.
            if _env_bool("PAYDESK_SERVING") or os.environ.get("PAYDESK_DB_POOL_SIZE"):
                config["CONN_MAX_AGE"] = 0
                config["CONN_HEALTH_CHECKS"] = False
                threads = int(os.environ.get("PAYDESK_HTTP_THREADS", "8"))
                pool_size = int(os.environ.get("PAYDESK_DB_POOL_SIZE", str(threads + 2)))
                config.setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": pool_size, "timeout": 10}
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(SQLITE_PATH),
        # WAL lets the server read while the scheduler writes; IMMEDIATE takes the write lock at BEGIN, so two
        # writers queue on busy_timeout instead of failing half-way through a transaction.
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        "TEST": {"NAME": str(PAYDESK_HOME / "test.sqlite3")},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = PAYDESK_HOME / "static"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = PAYDESK_HOME / "media"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Request bodies above this are refused before parsing (webhooks, bulk ingest carry their own lower caps).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("PAYDESK_MAX_BODY_BYTES", str(20 * 1024 * 1024)))

REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Embedded default: no broker, so tasks run in the caller's process (DESIGN §2).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# Crypto currencies are not in ISO 4217; their exponents are configured here (code=exponent,...).
PAYDESK_CRYPTO_CURRENCIES = os.environ.get("PAYDESK_CRYPTO_CURRENCIES", "BTC=8,USDT=6,ETH=9,USDC=6,LTC=8,TRX=6")

# Tickets and SLA: quiet period before a resolved ticket closes itself, attachment cap, default intake team,
# and whether intake hands new tickets to an available agent right away.
PAYDESK_TICKET_AUTOCLOSE_HOURS = float(os.environ.get("PAYDESK_TICKET_AUTOCLOSE_HOURS", "72"))
PAYDESK_ATTACHMENT_MAX_BYTES = int(os.environ.get("PAYDESK_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
PAYDESK_DEFAULT_TEAM = os.environ.get("PAYDESK_DEFAULT_TEAM", "payments")
PAYDESK_AUTO_ASSIGN = _env_bool("PAYDESK_AUTO_ASSIGN", True)

# PSP webhooks (DESIGN §5): an adapter whose secret is unset is off and says so. Bodies above the cap get 413.
PAYDESK_STRIPE_WEBHOOK_SECRET = os.environ.get("PAYDESK_STRIPE_WEBHOOK_SECRET", "")
PAYDESK_ADYEN_HMAC_KEY = os.environ.get("PAYDESK_ADYEN_HMAC_KEY", "")
PAYDESK_GENERIC_WEBHOOK_SECRET = os.environ.get("PAYDESK_GENERIC_WEBHOOK_SECRET", "")
PAYDESK_WEBHOOK_MAX_BYTES = int(os.environ.get("PAYDESK_WEBHOOK_MAX_BYTES", str(512 * 1024)))
# "task": process each stored event in a Celery task (eager, i.e. inside the request, without REDIS_URL);
# "background": one in-process thread per server process (answer first, process right after; no broker needed).
PAYDESK_WEBHOOK_PROCESSING = os.environ.get("PAYDESK_WEBHOOK_PROCESSING", "task")
# Dotted path of a PspStatusClient factory for the stuck-transaction sweeper ("" = no PSP is polled).
PAYDESK_PSP_STATUS_CLIENT = os.environ.get("PAYDESK_PSP_STATUS_CLIENT", "")

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "paydesk": {"handlers": ["console"], "level": os.environ.get("PAYDESK_LOG_LEVEL", "INFO")},
    },
}
