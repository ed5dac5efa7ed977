"""One settings module, read from the environment.

With nothing set: SQLite in the project folder and Celery tasks run eagerly, so the
product runs with no other service. DATABASE_URL=postgres://… and REDIS_URL=redis://…
switch to PostgreSQL and a real broker and result backend.

A ``.env`` file in the project folder (written by ``make run``: DEBUG=1 and a random
SECRET_KEY) is read first when it exists; real environment variables win over it.
HAILONG_ENV_FILE names another file ("" reads none).
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
ENV_FILE = os.environ.get("HAILONG_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).is_file():
    # overwrite=False: a variable already in the environment keeps its value.
    environ.Env.read_env(ENV_FILE, overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and not env.bool("HAILONG_ALLOW_DEV_KEY", default=False):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute origin used in survey links and QR codes handed to other systems.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

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
    "axes",
    "csp",
    "org",
    "outbox",
    "questionnaires",
    "survey",
    "analysis",
    "reform",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so that it turns a lockout raised anywhere above into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# A refused form (expired page, cookies blocked) explained in the visitor's language.
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

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
                "config.context_processors.language_switch",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers (the dev server and an eager task) wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Axes checks for a lockout before the model backend checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: counts failures, refuses locked logins
    "django.contrib.auth.backends.ModelBackend",
    # System administrators by role (org.permissions) hold every admin permission.
    "org.backends.SystemAdminBackend",
]
# Lockout after repeated failed logins (admin form and HTTP Basic on the API alike),
# keyed by username and address together: a guesser cannot lock a colleague out from
# elsewhere, and one address cannot try one account forever.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
AXES_VERBOSE = False

# Sessions end after SESSION_HOURS from sign-in (the session is not re-saved on every
# request, so the age is not sliding), or when the browser closes if asked.
SESSION_COOKIE_AGE = int(env.float("SESSION_HOURS", default=8) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=False)
SESSION_SAVE_EVERY_REQUEST = False

# Vietnamese first: every page is Vietnamese unless the visitor chose English.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded files (reform evidence) go through the default storage: disk here, S3-like
# storage by swapping STORAGES["default"].
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "media/"
REFORM_EVIDENCE_MAX_BYTES = env.int("REFORM_EVIDENCE_MAX_BYTES", default=20 * 1024 * 1024)
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

# Everyone signs in on /login/; the admin's own login admits system administrators only.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Content-Security-Policy on every page: only our own scripts and styles, no inline
# script or style, never framed (the builder's preview relaxes this to 'self').
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: for the small SVG icons that Swagger UI's and the admin's CSS embed.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # HTTP Basic counted by the login lockout (axes), 429 when locked out.
        "config.security.LockoutBasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 500,
    "UNICODE_JSON": True,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Hài Lòng API",
    "DESCRIPTION": (
        "Questionnaires, survey collection and estimates. Staff sign in (session or HTTP "
        "Basic); one-stop-shop systems send their API key as `Authorization: Api-Key <key>` "
        "or `X-Api-Key: <key>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI from this server (drf-spectacular-sidecar), no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # Two models have a Kind: the questionnaire's keeps its name, the framework's is named.
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "questionnaires.models.Questionnaire.Kind",
        "FrameworkKindEnum": "reform.models.Framework.Kind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.add_components",
    ],
}

# Celery: a real broker when REDIS_URL is set, otherwise tasks run in-process.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="hailong")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Nothing reads task results: keeping them would only add Redis writes.
CELERY_TASK_IGNORE_RESULT = True
# Redis is a helper that may be down: fail fast, the outbox publishes later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # A task whose worker died is redelivered after this long; keep it above the
    # longest run (acks are late, so a shorter one would deliver live tasks twice).
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Rate limits must not hold a citizen's answer hostage to a slow Redis.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Analysis: rounds with at least this many answers run as a chord of chunk tasks.
ANALYSIS_PARALLEL_MIN_ROWS = env.int("ANALYSIS_PARALLEL_MIN_ROWS", default=500_000)

# Survey collection
SURVEY_DEFAULT_QUESTIONNAIRE = env.str("SURVEY_DEFAULT_QUESTIONNAIRE", default="sipas")
SURVEY_TOKEN_TTL_DAYS = env.int("SURVEY_TOKEN_TTL_DAYS", default=30)
# Key of the HMAC that replaces IP addresses (defaults to SECRET_KEY).
SURVEY_HASH_KEY = env.str("SURVEY_HASH_KEY", default="")
SURVEY_TRUST_X_FORWARDED_FOR = env.bool("SURVEY_TRUST_X_FORWARDED_FOR", default=False)
# How many reverse proxies in front append to X-Forwarded-For (0: use the socket address;
# SURVEY_TRUST_X_FORWARDED_FOR=1 alone means one).
SURVEY_TRUSTED_PROXIES = env.int(
    "SURVEY_TRUSTED_PROXIES", default=1 if SURVEY_TRUST_X_FORWARDED_FOR else 0
)
# Fixed windows, "<count>/<s|m|h|d>"; "0/m" turns one off. Per sender address (hashed):
# "open", "submit" — loose, a commune office or a row of kiosks shares one address. Per
# survey link: "submit_token" — tight. Per API key (instead of the address): "api_key".
SURVEY_RATE_LIMITS = {
    "open": env.str("SURVEY_RATE_OPEN", default="30/m"),
    "submit": env.str("SURVEY_RATE_SUBMIT", default="600/m"),
    "submit_token": env.str("SURVEY_RATE_TOKEN", default="10/m"),
    "api_key": env.str("SURVEY_RATE_API_KEY", default="3000/m"),
}
REPORTS_KEEP_DAYS = env.int("REPORTS_KEEP_DAYS", default=14)
SURVEY_DUPLICATE_WINDOW_HOURS = env.int("SURVEY_DUPLICATE_WINDOW_HOURS", default=24)
# Registration caches units, API keys, current versions and campaigns per process
# (survey.lookups): a change is seen at once in the process that made it, within
# CHECK seconds elsewhere when the cache is shared (Redis), within CACHE seconds anyway.
SURVEY_LOOKUP_CACHE_SECONDS = env.float("SURVEY_LOOKUP_CACHE_SECONDS", default=30.0)
SURVEY_LOOKUP_CHECK_SECONDS = env.float("SURVEY_LOOKUP_CHECK_SECONDS", default=1.0)
# A counter kiosk drops a survey nobody touched for this long (the next citizen comes).
SURVEY_KIOSK_IDLE_SECONDS = env.int("SURVEY_KIOSK_IDLE_SECONDS", default=90)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
# For EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend (one file a message).
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-mail"))
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
SURVEY_EMAIL_FROM = env.str("SURVEY_EMAIL_FROM", default="khaosat@hailong.example")
CELERY_BEAT_SCHEDULE = {
    # Every round open today gets a fresh run at night (analysis.tasks.rounds_refresh).
    "analysis-rounds-refresh": {
        "task": "analysis.tasks.rounds_refresh",
        "schedule": crontab(hour=env.int("ANALYSIS_REFRESH_HOUR", default=2), minute=0),
    },
    # Publishes the tasks the broker refused while it was down (outbox/).
    "outbox-relay": {
        "task": "outbox.tasks.outbox_relay",
        "schedule": env.float("OUTBOX_RELAY_EVERY_SECONDS", default=10.0),
        "options": {"expires": env.float("OUTBOX_RELAY_EVERY_SECONDS", default=10.0)},
    },
    # Built reports are kept REPORTS_KEEP_DAYS, then deleted with their files.
    "reports-purge": {
        "task": "reports.tasks.reports_purge",
        "schedule": crontab(hour=3, minute=30),
    },
    "survey-reminders": {
        "task": "survey.tasks.survey_reminders_send",
        "schedule": env.int("SURVEY_REMINDER_EVERY_SECONDS", default=3600),
    },
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
    SECURE_CONTENT_TYPE_NOSNIFF = True

# HTTPS=1: served over TLS, usually behind a proxy that terminates it and sets
# X-Forwarded-Proto (trust that header only when the proxy overwrites it).
HTTPS = env.bool("HTTPS", default=False)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # In-container health checks speak plain HTTP to the app itself.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("HSTS_PRELOAD", default=True)
    if not SECURE_HSTS_PRELOAD:
        # The operator chose not to be preloaded (a deliberate, reversible choice).
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
