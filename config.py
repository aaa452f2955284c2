"""Configuration from the environment. Only the test configuration hard-codes values."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_ROOT = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance")).resolve()


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def database_url(value: str | None) -> str | None:
    """Accept ``postgres://`` and ``postgresql://`` URLs and use psycopg 3 for them."""
    if not value:
        return value
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


def development_secret_key(instance_dir: Path) -> str:
    """Generate a secret key once into ``instance/secret_key`` and reuse it afterwards."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Settings shared by every environment; each reads its environment variable."""

    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL")) or f"sqlite:///{INSTANCE_ROOT / 'bids.db'}"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    INSTANCE_DIR = str(INSTANCE_ROOT)
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR") or str(INSTANCE_ROOT / "uploads")
    PACK_DIR = os.environ.get("PACK_DIR") or str(INSTANCE_ROOT / "packs")
    #: where every stored file lives: "local" (UPLOAD_DIR and PACK_DIR) or "database" (chunked rows, shared by
    #: every web host); move them with `flask files migrate --to database|local` (docs/operations.md)
    FILE_STORAGE = os.environ.get("FILE_STORAGE", "local").strip().lower() or "local"
    MAX_LETTER_BYTES = _int("MAX_LETTER_BYTES", 10 * 1024 * 1024)
    #: a convening body's logo: the largest file, and the largest width or height in pixels
    MAX_LOGO_BYTES = _int("MAX_LOGO_BYTES", 2 * 1024 * 1024)
    MAX_LOGO_PIXELS = _int("MAX_LOGO_PIXELS", 4000)
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 12 * 1024 * 1024)
    #: a form post that is not a file upload (url-encoded) is read whole: it gets this smaller cap
    FORM_MAX_BODY_BYTES = _int("FORM_MAX_BODY_BYTES", 2 * 1024 * 1024)
    #: the largest single text field of a multipart form (Flask's default, stated here)
    MAX_FORM_MEMORY_SIZE = _int("MAX_FORM_MEMORY_SIZE", 500_000)
    REDIS_URL = os.environ.get("REDIS_URL") or None
    #: threads per gunicorn worker (gunicorn.conf.py reads the same variable); Redis pools are sized from it
    WEB_THREADS = _int("WEB_THREADS", 256)
    #: connections in each Redis pool of a process (the rate limiter's, the live broker's): one per thread,
    #: and a few for the scheduler and email threads
    REDIS_MAX_CONNECTIONS = _int("REDIS_MAX_CONNECTIONS", WEB_THREADS + 8)
    #: seconds a thread waits for a free pooled Redis connection before the call fails (and fails open)
    REDIS_POOL_TIMEOUT = float(os.environ.get("REDIS_POOL_TIMEOUT") or 1)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    #: live updates: Redis channel prefix, and the Server-Sent Events stream's timings
    REDIS_CHANNEL_PREFIX = os.environ.get("REDIS_CHANNEL_PREFIX", "bids")
    SSE_HEARTBEAT_SECONDS = float(os.environ.get("SSE_HEARTBEAT_SECONDS") or 15)
    SSE_MAX_SECONDS = float(os.environ.get("SSE_MAX_SECONDS") or 300)
    SSE_RETRY_MS = _int("SSE_RETRY_MS", 3000)
    SSE_FALLBACK_POLL_SECONDS = float(os.environ.get("SSE_FALLBACK_POLL_SECONDS") or 3)
    LIVE_POLL_SECONDS = _int("LIVE_POLL_SECONDS", 10)
    LIVE_PROJECTION_HOURS = _int("LIVE_PROJECTION_HOURS", 72)
    LIVE_SNAPSHOT_MAX_AGE = float(os.environ.get("LIVE_SNAPSHOT_MAX_AGE") or 1)
    RATELIMIT_HEADERS_ENABLED = True
    #: a rate-limit storage that errors (Redis down, pool exhausted) never fails a request: the limiter counts
    #: in this process's memory until the storage answers again, and logs; any other limiter error is logged
    #: and the request goes through (fail open)
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    #: a prefix for the rate-limit keys, when several apps (or test runs) share one Redis
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "")
    #: failed logins allowed from one address (successes do not count)
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    #: failed logins allowed on one account from anywhere, before browsers that have never logged in to it
    #: wait for the window to pass; keep it short: it is how long someone else's guesses can hold the owner up
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per minute")
    #: asking for a password reset link: per client address, and per email address asked about
    PASSWORD_RESET_RATE_LIMIT = os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5 per minute;20 per hour")
    PASSWORD_RESET_ACCOUNT_RATE_LIMIT = os.environ.get("PASSWORD_RESET_ACCOUNT_RATE_LIMIT", "3 per 15 minutes")
    PASSWORD_RESET_MINUTES = _int("PASSWORD_RESET_MINUTES", 60)
    EMAIL_CHANGE_HOURS = _int("EMAIL_CHANGE_HOURS", 24)
    COLLEAGUE_INVITATION_DAYS = _int("COLLEAGUE_INVITATION_DAYS", 7)
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")
    #: the largest JSON body the API reads (MAX_CONTENT_LENGTH still caps everything)
    API_MAX_BODY_BYTES = _int("API_MAX_BODY_BYTES", 1024 * 1024)
    INVITATION_DAYS = _int("INVITATION_DAYS", 21)
    FUNDER_LINK_DAYS = _int("FUNDER_LINK_DAYS", 30)
    #: days an emailed link to a returns summary report works
    SUMMARY_LINK_DAYS = _int("SUMMARY_LINK_DAYS", 30)
    SCHEDULER_ENABLED = _bool("SCHEDULER_ENABLED", False)
    #: seconds between scheduler sweeps (close bids, reminders, digests, email retries)
    SWEEP_SECONDS = _int("SWEEP_SECONDS", 30)
    #: London hour from which the convenors' daily digest goes out
    DIGEST_HOUR = _int("DIGEST_HOUR", 8)
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 10)
    #: messages sent over one SMTP connection before it is closed and another opened (servers limit them)
    MAIL_MESSAGES_PER_CONNECTION = _int("MAIL_MESSAGES_PER_CONNECTION", 100)
    MAIL_FILE_PATH = os.environ.get("MAIL_FILE_PATH") or str(INSTANCE_ROOT / "outbox")
    #: send email in a background thread after commit (tests send inline)
    MAIL_SEND_ASYNC = _bool("MAIL_SEND_ASYNC", True)
    #: days a sent email's text (with its working links) stays in the outbox before it is blanked
    OUTBOX_KEEP_DAYS = _int("OUTBOX_KEEP_DAYS", 7)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Consortium Bid Manager <bids@localhost>")
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = _int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
    SESSION_IDLE_SECONDS = _int("SESSION_IDLE_SECONDS", 2 * 3600)
    #: the session cookie is sent again only when the session changed (the last activity is kept to the minute,
    #: app/web/security.py), not re-signed on every request
    SESSION_REFRESH_EACH_REQUEST = False
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    HSTS = True
    #: reverse proxies in front of the app that set X-Forwarded-For / X-Forwarded-Proto (Werkzeug's ProxyFix);
    #: 0 (the default) trusts no such header, so the client address is the connection's
    PROXY_FIX_X_FOR = _int("PROXY_FIX_X_FOR", 0)
    PROXY_FIX_X_PROTO = _int("PROXY_FIX_X_PROTO", 0)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    #: "text" or "json" (one JSON object per line, with the request id)
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
    #: Prometheus metrics at /metrics (off by default); with METRICS_TOKEN set a scrape needs
    #: "Authorization: Bearer <token>", without one only loopback and private addresses are answered
    METRICS_ENABLED = _bool("METRICS_ENABLED", False)
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None


class DevelopmentConfig(Config):
    """``make run`` on a laptop: SQLite, mail written to files, scheduler in-process."""

    ENV_NAME = "development"
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
    SESSION_COOKIE_NAME = "session"
    SESSION_COOKIE_SECURE = False
    HSTS = False
    SCHEDULER_ENABLED = _bool("SCHEDULER_ENABLED", True)


class ProductionConfig(Config):
    """gunicorn + PostgreSQL + Redis. SECRET_KEY is required."""


class TestConfig(Config):
    """The test suite: SQLite in a temporary folder unless TEST_DATABASE_URL is set."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL")) or "sqlite://"
    MAIL_SEND_ASYNC = False
    MAIL_BACKEND = "locmem"
    SESSION_COOKIE_NAME = "session"
    SESSION_COOKIE_SECURE = False
    HSTS = False
    SCHEDULER_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    REDIS_URL = None
    SSE_HEARTBEAT_SECONDS = 0.2
    SSE_MAX_SECONDS = 5
    LIVE_SNAPSHOT_MAX_AGE = 0  # ids restart between tests: never reuse a rendered snapshot
    BASE_URL = "http://localhost"
    SERVER_NAME = None


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    """The configuration class named by ``APP_ENV`` (default production, the safe choice)."""
    name = (name or os.environ.get("APP_ENV") or "production").lower()
    if name not in CONFIGS:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}; got {name!r}")
    return CONFIGS[name]
