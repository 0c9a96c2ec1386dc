"""Settings for the LCOO Portal.

One module, driven only by environment variables. With none set the portal runs in
development mode: SQLite in the project folder, Celery tasks in-process, mail printed
to the console. `DEBUG=0` switches to production mode, which needs a real SECRET_KEY.
The variables are the operators' contract (see README): extend, never rename.
"""

import os
import unicodedata
from email.utils import formataddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1 (got {value!r}).")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] or default


def env_name(name: str, default: str) -> str:
    """A name shown on every page and in every mail: one line of printable text."""
    value = os.environ.get(name, default).strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must not be empty (unset it for {default!r}).")
    if any(unicodedata.category(char).startswith("C") for char in value):
        raise ImproperlyConfigured(
            f"{name} must be one line of text without control characters (got {value!r})."
        )
    return value


DEBUG = env_bool("DEBUG", True)
#: Production mode, as the environment chose it (test runners turn DEBUG off on their own).
PRODUCTION = not DEBUG

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1", "testserver", "0.0.0.0"}  # noqa: S104  # nosec B104


def _public_hosts() -> set[str]:
    """Hosts of ALLOWED_HOSTS and SITE_URL, as set, that are not this machine's own."""
    hosts = {h.lstrip(".").lower() for h in env_list("ALLOWED_HOSTS", [])}
    if env("SITE_URL"):
        hosts.add((urlsplit(env("SITE_URL")).hostname or "").lower())
    return {h for h in hosts if h and h not in _LOCAL_HOSTS}


# Development mode is the default only on a developer's machine: a public host name with
# no DEBUG set is a production set-up that forgot DEBUG=0, and would run with debug pages
# and the development key published in this repository.
if os.environ.get("DEBUG", "") == "" and _public_hosts():
    raise ImproperlyConfigured(
        f"ALLOWED_HOSTS/SITE_URL name a public host ({', '.join(sorted(_public_hosts()))}) "
        "but DEBUG is not set: set DEBUG=0 for production (with SECRET_KEY), or DEBUG=1 "
        "to run development mode on purpose."
    )

# Development mode only: production refuses this key (bandit B105 reviewed).
_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105  # nosec B105
SECRET_KEY = env("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (
    len(SECRET_KEY) < 50
    or SECRET_KEY == _DEV_SECRET_KEY
    or SECRET_KEY.startswith("django-insecure")
):
    raise ImproperlyConfigured(
        "Production mode (DEBUG=0) needs SECRET_KEY: a random value of 50 or more characters."
    )

SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

#: The group the portal runs, in page titles, headers, mail subjects and calendar names.
GROUP_NAME = env_name("GROUP_NAME", "Large Contributing OpenStack Operators")
GROUP_SHORT_NAME = env_name("GROUP_SHORT_NAME", "LCOO")
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [],
)
CSRF_TRUSTED_ORIGINS = [
    f"{urlsplit(SITE_URL).scheme}://{urlsplit(SITE_URL).netloc}",
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # The register's stored search document (a tsvector column); harmless on SQLite.
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "lcoo",
    "members",
    "meetings",
    "joining",
    "agreements",
]

MIDDLEWARE = [
    "lcoo.http.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "members.middleware.ViewerTimezoneMiddleware",
    "members.middleware.RequireMFAMiddleware",
    "lcoo.pagecache.AnonymousPageCacheMiddleware",
]

#: The largest request body: a 20 MB attachment (meetings.forms) and its form around it.
#: Larger ones are refused from their Content-Length, before a byte of the body is read.
REQUEST_MAX_BYTES = 21 * 1024 * 1024

ROOT_URLCONF = "lcoo.urls"
WSGI_APPLICATION = "lcoo.wsgi.application"

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
                "members.context_processors.portal",
                "lcoo.context_processors.group",
            ],
            # Every template shows times the same way, so the tags are always loaded.
            "builtins": ["lcoo.templatetags.portal", "django.templatetags.static"],
        },
    },
]

# Database: SQLite in the project folder unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # A PostgreSQL connection costs several ms to open; keep it and check it.
        conn_max_age=0 if DEBUG else 600,
        conn_health_checks=not DEBUG,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "members.Person"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"

# django-allauth: the e-mail address is the login, and it must be verified.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "members.forms.SignupDetailsForm"
# Account mail (confirmations, password resets) goes through the outbox like all mail.
ACCOUNT_ADAPTER = "lcoo.accounts.AccountAdapter"
ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD = "website_url"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# The subject prefix is the group's short name, read when each message is written
# (lcoo.accounts.AccountAdapter.format_email_subject).
ACCOUNT_DEFAULT_HTTP_PROTOCOL = urlsplit(SITE_URL).scheme or "https"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = f"{GROUP_SHORT_NAME} Portal"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"
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

# Mail: SMTP on EMAIL_HOST:EMAIL_PORT. Unset EMAIL_HOST means the console in development
# and the machine's own mail server (localhost:25) in production.
# EMAIL_HOST/EMAIL_PORT stay the portal's contract; Django 6.1 configures mail via MAILERS.
# Django 6.1 refuses the old EMAIL_* setting names beside MAILERS, hence the underscore.
_email_host = env("EMAIL_HOST", "" if DEBUG else "localhost")
_email_port = int(env("EMAIL_PORT", "25"))
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": _email_host, "port": _email_port, "timeout": 30},
        }
        if _email_host
        else {"BACKEND": "lcoo.console_mail.EmailBackend"}
    )
}
DEFAULT_FROM_EMAIL = env(
    "DEFAULT_FROM_EMAIL", formataddr((f"{GROUP_SHORT_NAME} Portal", "portal@example.org"))
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: a real broker when CELERY_BROKER_URL is set, otherwise tasks run in-process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A worker that dies hands its unacknowledged task back after this long (Redis).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Outgoing mail: how long a worker holds a claimed batch, and the first retry's delay
# (it doubles on every attempt).
DELIVERY_LEASE_SECONDS = 300
DELIVERY_BACKOFF_SECONDS = 30
CELERY_BEAT_SCHEDULE = {
    "extend-rotations": {
        "task": "meetings.tasks.extend_rotations",
        "schedule": 24 * 3600,
    },
    "announcements-and-reminders": {
        "task": "meetings.tasks.decide_and_send",
        "schedule": 5 * 60,
    },
    # Mail whose sender task was lost (broker away when it was written) still goes out.
    "outbox-sweep": {
        "task": "lcoo.tasks.send_pending_mail",
        "schedule": 60,
    },
    # Delivered messages do not keep their links in the database for long.
    "outbox-forget-bodies": {
        "task": "lcoo.tasks.forget_sent_mail_bodies",
        "schedule": 24 * 3600,
    },
}

# How many reverse proxies stand in front of the portal (each appends the address it saw
# to X-Forwarded-For). Login limits and the join form's limit count the client the
# outermost one saw; 0: the connection's own address (REMOTE_ADDR).
ALLAUTH_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXIES", "0"))

# Security. Behind a TLS-terminating proxy the scheme comes from X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Health checks (compose, load balancers) call /healthz over plain HTTP from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = 0 if DEBUG else 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every script is a file of the portal's own: no inline script, so no nonce either, and
# pages stay the same for every visitor (they can be cached).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Redis when CACHE_URL is set (shared by every worker), else each process's own memory.
_cache_url = env("CACHE_URL")
CACHES = {
    "default": (
        {
            "BACKEND": "lcoo.cache.ResilientRedisCache",
            "LOCATION": _cache_url,
            # A cache that does not answer at once is treated as away (lcoo/cache.py).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
#: How long an anonymous public page stays cached; any change to the group's data
#: retires all of them at once before that. Only with a shared cache: with one per
#: process, a change made in one process (another web worker, a command, a Celery task)
#: would not retire the pages another one keeps.
PAGE_CACHE_SECONDS = 300 if _cache_url else 0

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO" if DEBUG else "WARNING"},
    "loggers": {"lcoo": {"level": "INFO"}, "members": {"level": "INFO"}},
}
