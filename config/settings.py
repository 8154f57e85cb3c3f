"""ClinicFlow settings: one module, driven by environment variables.

With no variables set, the embedded default runs anywhere: SQLite under ``var/``, in-memory
channel layer and cache, Celery tasks run eagerly, e-mail printed to the console, DEBUG on and a
secret generated once into ``var/``.

``DJANGO_ENV=production`` switches to the production shape and *requires* ``SECRET_KEY``,
``AUDIT_HMAC_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL`` and ``REDIS_URL``: a missing secret
stops the start instead of falling back to a guessable default.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CLINICFLOW_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return int(value) if value is not None else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = env(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_map(name: str) -> dict[str, str]:
    """``name=value,name=value`` as a dict (a value may hold "=", not ",")."""
    found: dict[str, str] = {}
    for item in env_list(name, []):
        key, _, value = item.partition("=")
        if key.strip() and value.strip():
            found[key.strip()] = value.strip()
    return found


def required(name: str) -> str:
    value = env(name)
    if value is None:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production.")
    return value


def local_secret(name: str) -> str:
    """A random secret generated once into var/ for the embedded default (never production)."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


PRODUCTION = env("DJANGO_ENV", "development") == "production"
TESTING = env_bool("CLINICFLOW_TESTING", False)

# ---------------------------------------------------------------- core
if PRODUCTION:
    SECRET_KEY = required("SECRET_KEY")
    AUDIT_HMAC_KEY = required("AUDIT_HMAC_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
    DEBUG = False
else:
    SECRET_KEY = env("SECRET_KEY") or local_secret("secret_key")
    AUDIT_HMAC_KEY = env("AUDIT_HMAC_KEY") or local_secret("audit_key")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
    DEBUG = env_bool("DEBUG", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # trigram search lookups (used only on PostgreSQL)
    # third party
    "anymail",
    "axes",
    "channels",
    "csp",
    "django_filters",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rest_framework",
    "template_partials",
    # ClinicFlow
    "clinicflow.core",
    "clinicflow.accounts",
    "clinicflow.notifications",
    "clinicflow.patients",
    "clinicflow.scheduling",
    "clinicflow.frontdesk",
    "clinicflow.clinical",
    "clinicflow.pharmacy",
    "clinicflow.billing",
    "clinicflow.lab",
    "clinicflow.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clinicflow.core.middleware.RequestContextMiddleware",
    "clinicflow.core.middleware.PrivateResponsesMiddleware",  # static files (above) keep theirs
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "clinicflow.accounts.middleware.ActorMiddleware",
    "clinicflow.core.middleware.NulParameterMiddleware",
    "clinicflow.accounts.middleware.SessionActivityMiddleware",
    "clinicflow.core.access.PolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "clinicflow.core.context_processors.clinicflow",
            ],
        },
    },
]

# ---------------------------------------------------------------- database
# The embedded default is SQLite. Transactions begin IMMEDIATE so that a service's
# read-then-write under a "lock" is serialised on SQLite the way SELECT ... FOR UPDATE
# serialises it on PostgreSQL; WAL lets readers go on while one writer works.
SQLITE_PATH = VAR_DIR / "clinicflow.sqlite3"
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    # No persistent connections by default: under ASGI each request may run on another thread,
    # so a kept-open connection is never reused and they pile up until PostgreSQL refuses more
    # (measured by bench/). Put a pooler (PgBouncer) in front for connection reuse.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Partial names ("Prya" for "Priya Sharma") pass pg_trgm's word match at 0.5; set at
        # connection start, so it costs no extra round trip.
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            "-c pg_trgm.word_similarity_threshold=0.5"
        )
        pool_max = env_int("DB_POOL_MAX", 8 if PRODUCTION else 0)
        if pool_max:
            DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": pool_max}
elif PRODUCTION:
    raise ImproperlyConfigured("DATABASE_URL must be set when DJANGO_ENV=production.")
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not :memory:, so that a live server or an ASGI server started by a test
            # sees the same data as the test.
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------- redis: cache, channels, celery
REDIS_URL = env("REDIS_URL")
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set when DJANGO_ENV=production.")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "clinicflow.core.redis_cache.SharedPoolRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "clinicflow"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout by default, the very time
                # channels_redis blocks on BZPOPMIN for a channel's next message: a screen
                # quiet (or a server busy) for 5 s lost its consumer to a TimeoutError.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": env("CHANNELS_PREFIX", "clinicflow"),
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True

CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# ---------------------------------------------------------------- authentication
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # must be first: refuses locked accounts
    "clinicflow.accounts.backends.UsernameOrEmailBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # verifies, then upgrades, old hashes
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2  # two hours

# Lockout: 10 failures against one account lock it for 15 minutes, whatever the IP or cookie.
# Axes counts failures while each comes within the cool-off window of the previous one.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "clinicflow.accounts.lockout.canonical_username"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "clinicflow.accounts.lockout.lockout_response"
AXES_VERBOSE = False
# Axes warns when lockout is not per IP; ours is per account on purpose (see above): an
# attacker rotating IPs must not reset the count.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_IPWARE_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0) or None

# Sessions: a new key at login, idle timeout (per clinic, else this default) and an absolute
# lifetime, both enforced on the server by SessionActivityMiddleware.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
SESSION_IDLE_TIMEOUT = timedelta(minutes=env_int("SESSION_IDLE_MINUTES", 30))
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=env_int("SESSION_ABSOLUTE_HOURS", 12))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_LIFETIME.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "clinicflow_session"
CSRF_COOKIE_NAME = "clinicflow_csrftoken"

OTP_TOTP_ISSUER = env("OTP_ISSUER", "ClinicFlow")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Platform admins must enrol a second factor in production (clinics decide for managers).
CLINICFLOW_ADMIN_REQUIRES_2FA = env_bool("ADMIN_REQUIRES_2FA", PRODUCTION)

# ---------------------------------------------------------------- security headers
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],  # the nonce lets vendored widgets inject their own <style>
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],  # FullCalendar ships its icon font inline
        "connect-src": [SELF, "ws:", "wss:"] if not PRODUCTION else [SELF, "wss:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env_list(
        "CSRF_TRUSTED_ORIGINS",
        [f"https://{host.lstrip('.')}" for host in ALLOWED_HOSTS if host != "*"],
    )

# ---------------------------------------------------------------- i18n, time
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ne", "नेपाली")]
TIME_ZONE = "UTC"  # stored in UTC; shown in the clinic's timezone (ActorMiddleware activates it)
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# ---------------------------------------------------------------- static and media files
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Medical documents are never public: MEDIA has no URL and is served only by
    # permission-checked views.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env("MEDIA_ROOT", str(VAR_DIR / "media")), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
# Files browsers ask for at the site's root whatever the page says (/favicon.ico: the admin
# site and Swagger link no icon of ours), served before any view or policy is consulted.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

# ---------------------------------------------------------------- e-mail
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "ClinicFlow <no-reply@clinicflow.local>")
if env("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# A provider's API instead of SMTP, through django-anymail: EMAIL_BACKEND names its backend
# ("anymail.backends.mailgun.EmailBackend") and ANYMAIL_* its settings (ANYMAIL_MAILGUN_API_KEY,
# ANYMAIL_WEBHOOK_SECRET "user:password" for its delivery reports at
# /notifications/email-events/<provider>/).
EMAIL_BACKEND = env("EMAIL_BACKEND", "") or EMAIL_BACKEND
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_") and value
}

# ---------------------------------------------------------------- SMS
# The gateway (clinicflow/notifications/sms/backends/): "console" prints and keeps messages
# (development, tests), "sparrow" or "aakash" send through the Nepali gateways, or a dotted
# path to another SmsBackend. A real gateway needs its token; Sparrow also the sender
# identity it gave us. SMS_URL points a gateway elsewhere (the loopback stand-in).
SMS_BACKEND = env("SMS_BACKEND", "console")
SMS_OPTIONS: dict[str, str] = {
    name: value
    for name, value in {
        "token": env("SMS_TOKEN"),
        "sender": env("SMS_SENDER"),
        "url": env("SMS_URL"),
        "timeout": env("SMS_TIMEOUT"),
        "credit_price": env("SMS_CREDIT_PRICE"),  # what one of the gateway's credits costs
    }.items()
    if value is not None
}
if SMS_BACKEND != "console" and "token" not in SMS_OPTIONS:
    raise ImproperlyConfigured(f"SMS_TOKEN must be set for the {SMS_BACKEND} SMS gateway.")
# The shared secret in the inbound-SMS webhook's address given to the gateway (empty: off).
SMS_INBOUND_SECRET = env("SMS_INBOUND_SECRET", "")
# Where a number written without a country code is read (inbound SMS senders).
SMS_REGION = env("SMS_REGION", "NP")
# The price of one SMS segment, for the estimate shown while a template is edited.
SMS_PRICE_PER_SEGMENT = env("SMS_PRICE_PER_SEGMENT", "0")

# ---------------------------------------------------------------- API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["clinicflow.core.access.PolicyPermission"],
    "DEFAULT_FILTER_BACKENDS": ["clinicflow.core.filters.ClinicFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "clinicflow.core.rest.DefaultPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "clinicflow.core.rest.exception_handler",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ClinicFlow API",
    "DESCRIPTION": "Clinic management: the same access policy and audit trail as the web UI.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["clinicflow.core.access.PolicyPermission"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ClinicalStatusEnum": "clinicflow.patients.models.ClinicalStatus",
        "DocumentStatusEnum": "clinicflow.patients.models.DocumentStatus",
        "AppointmentStatusEnum": "clinicflow.scheduling.models.AppointmentStatus",
        "QueueStatusEnum": "clinicflow.frontdesk.models.QueueStatus",
        "PriorityEnum": "clinicflow.frontdesk.models.Priority",
        "PrescriptionStatusEnum": "clinicflow.clinical.models.PrescriptionStatus",
        "PregnancyEnum": "clinicflow.clinical.models.Pregnancy",
        "SexEnum": "clinicflow.patients.models.Sex",
        "LabTestStatusEnum": "clinicflow.lab.models.TestStatus",
        "LabSampleStatusEnum": "clinicflow.lab.models.SampleStatus",
        "LabResultStatusEnum": "clinicflow.lab.models.ResultStatus",
        "LabRangeSexEnum": "clinicflow.lab.models.RangeSex",
        "LabRejectionReasonEnum": "clinicflow.lab.models.RejectionReason",
    },
}

# ---------------------------------------------------------------- logging
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "clinicflow.core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Refusals are audited; a traceback per 403 would only bury real errors.
        "django.request": {"level": "ERROR"},
        "django.security.DisallowedHost": {"level": "ERROR"},
        # Tasks run in the calling process: a line per task done would drown the server's log.
        **({"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {}),
    },
}

# ---------------------------------------------------------------- ClinicFlow
CLINICFLOW_DEFAULT_TIMEZONE = "Asia/Kathmandu"
CLINICFLOW_DEFAULT_CURRENCY = "NPR"
CLINICFLOW_DEFAULT_COUNTRY = "NP"
# A booked appointment not checked in this long after its start becomes a no-show.
CLINICFLOW_NO_SHOW_GRACE_MINUTES = env_int("NO_SHOW_GRACE_MINUTES", 60)
# Checking in more than this many minutes before or after the booked start needs a confirmation
# (a patient on the wrong day, or hours early or late).
CLINICFLOW_CHECK_IN_WINDOW_MINUTES = env_int("CHECK_IN_WINDOW_MINUTES", 120)
# A batch expiring within this many days is "near expiry" (stock alerts, daily notices).
CLINICFLOW_PHARMACY_NEAR_EXPIRY_DAYS = env_int("PHARMACY_NEAR_EXPIRY_DAYS", 90)
CLINICFLOW_LIST_PAGE_SIZE = 50
# Largest patient document accepted, in MB.
CLINICFLOW_MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 10)
# Largest image accepted, in millions of pixels, read from its header before any decoding (a
# small file can claim a huge picture: 40 MP decode to 160 MB); also Pillow's own limit.
CLINICFLOW_MAX_IMAGE_MEGAPIXELS = env_int("MAX_IMAGE_MEGAPIXELS", 40)
# Payment gateways' shared secrets by provider (the name in the webhook's address), e.g.
# BILLING_GATEWAY_SECRETS="signed=...". A provider without a secret is refused (404).
BILLING_GATEWAY_SECRETS = env_map("BILLING_GATEWAY_SECRETS")
