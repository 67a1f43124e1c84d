"""Configuration: defaults, then instance/config.py, then environment variables."""

import os
from datetime import timedelta

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"


class Defaults:
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None  # filled in with instance/roster.db
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = None  # None: Secure unless the app runs in debug mode
    # A signed-in session ends after this much inactivity (checked on the server).
    SESSION_IDLE_TIMEOUT = timedelta(hours=12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    # argon2id cost; the defaults are RFC 9106's second recommended option as argon2-cffi ships it.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4
    PASSWORD_MIN_LENGTH = 12
    # Platform and school admins must sign in with a second factor (TOTP); None: on, except in debug mode.
    TWO_FACTOR_REQUIRED = None
    TOTP_ISSUER = "Roster"

    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "roster@localhost"
    MAIL_TIMEOUT = 10
    # Seconds to wait before each new attempt after a failed one; then the mail is marked failed.
    MAIL_RETRY_DELAYS = (30, 120, 600)
    # A queued mail not tried within this many seconds (its process died) is taken by the sweep.
    MAIL_DISPATCH_GRACE = 60
    # Every Roster process (web, worker) sweeps this often: mails due, its imports' heartbeat, stalled imports.
    HOUSEKEEPING_SECONDS = 10
    # Credentials mailed to a student again within this many seconds are taken for a double click: not sent.
    CREDENTIALS_REPEAT_AFTER = 60
    INVITATION_DAYS = 14
    PASSWORD_RESET_MINUTES = 60
    RESET_LIMIT_PER_ADDRESS = "10 per hour"
    RESET_LIMIT_PER_EMAIL = "3 per hour"
    INVITE_MAX_ADDRESSES = 1000
    IMPORT_MAX_BYTES = 10 * 1024 * 1024
    IMPORT_MAX_ROWS = 100_000
    # An XLSX or ODS is read in a child process with these limits: a file that would exhaust them is refused.
    IMPORT_READER_MEMORY_BYTES = 2 * 1024**3
    IMPORT_READER_SECONDS = 120
    IMPORT_MAX_SHEET_CELLS = 10_000_000  # an XLSX sheet's rows × columns, checked before it is read
    IMPORT_MAX_CELL_CHARS = 10_000  # a longer cell is its row's error
    IMPORT_MAX_UNPACKED_BYTES = 300 * 1024 * 1024  # an XLSX's or ODS's unzipped size, checked before it is parsed
    IMPORT_PREVIEW_ROWS = 100  # rows shown in a preview besides the errors
    IMPORT_REPORT_ERRORS = 1000  # rows with errors on a job's page; its download of failed rows has them all
    # Seconds without a heartbeat after which a job's process is taken for gone (a job still waiting for a
    # Celery worker: IMPORT_QUEUED_FOR, as its task waits in the broker).
    IMPORT_STALLED_AFTER = 120
    IMPORT_QUEUED_FOR = 3600
    SIGN_UP_LIMIT_PER_ADDRESS = "20 per hour"
    SIGN_UP_LIMIT_PER_EMAIL = "5 per hour"
    # Where people reach Roster: the links in mails start with it.
    PUBLIC_URL = "http://127.0.0.1:5000"

    CELERY_BROKER_URL = None

    RATELIMIT_STORAGE_URI = "memory://"  # redis://... when several processes serve Roster
    RATELIMIT_HEADERS_ENABLED = False
    SIGN_IN_LIMIT_PER_ADDRESS = "30 per minute"
    SIGN_IN_FAILURES_PER_ACCOUNT = "10 per 15 minutes"
    # Lists count matching rows exactly up to this many, then say "10,000+".
    LIST_EXACT_COUNT_LIMIT = 10_000

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    # Retention (roster.services.retention, run daily): days after which each kind of children's data goes.
    RETENTION_PENDING_SIGN_UP_DAYS = 90  # a sign-up never activated: the student and their account are erased
    RETENTION_INVITATION_DAYS = 30  # after the invitation's expiry
    RETENTION_MAIL_BODY_DAYS = 180  # the mail log keeps the row (kind, time, status), not the text
    RETENTION_IMPORT_REPORT_DAYS = 30  # a finished import keeps its counts, not its rows or failed-row file
    RETENTION_AUDIT_DAYS = 3 * 365
    MERGE_UNDO_DAYS = 30  # a merge of two records can be undone this long
    # OneRoster: the platform's name as the parent district of its schools, and the namespace of the UUIDs made
    # for records without a sourcedId (roster.services.oneroster.spec); a platform may set its own.
    PLATFORM_NAME = "Roster"
    ONEROSTER_NAMESPACE = "6f1c1d2e-4b7a-5c1e-9a57-8d0f3e2b7c41"
    ONEROSTER_TOKEN_SECONDS = 3600  # an API client's access token lives this long
    ONEROSTER_RATE_LIMIT = "600 per minute"  # reads an API client may make
    ONEROSTER_PAGE_LIMIT = 1000  # the most records one API page holds (limit=...)
    # Children who left: erased this many days after their leaving (None: kept, the school's archive). Off by
    # default: schools keep a leaver's record for years (the movement book's counts stay either way).
    RETENTION_LEFT_DAYS = None
    # Below this age (by the birth date on record) a student's guardian must consent too (roster.services.consent).
    CONSENT_AGE = 16
    # The platform's language (en, ru or kk): where no user, session, browser or school chose one (roster.i18n).
    BABEL_DEFAULT_LOCALE = "en"


# Plain environment variables (the names every host uses), read over the defaults.
ENV_VARS = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_DEFAULT_SENDER": str,
    "MAIL_USE_TLS": lambda v: v.lower() in ("1", "true", "yes"),
    "MAIL_USE_SSL": lambda v: v.lower() in ("1", "true", "yes"),
    "CELERY_BROKER_URL": str,
    "RATELIMIT_STORAGE_URI": str,
    "PUBLIC_URL": str,
}


def database_url(url):
    """Point plain postgres:// URLs at psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load(app, test_config=None):
    """Fill app.config; refuse to start outside debug with the default secret key."""
    app.config.from_object(Defaults)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "roster.db")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for name, convert in ENV_VARS.items():
            if os.environ.get(name):
                app.config[name] = convert(os.environ[name])
        app.config.from_prefixed_env("ROSTER")
    else:
        app.config.update(test_config)

    if app.config.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["TWO_FACTOR_REQUIRED"] is None:
        app.config["TWO_FACTOR_REQUIRED"] = not app.debug
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = not app.debug
    if app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY and not (app.debug or app.testing):
        raise RuntimeError(
            "SECRET_KEY is the built-in development key. Set the SECRET_KEY environment variable "
            "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )
