"""Settings from the environment (and an optional `.env` file), validated once at start-up.

A bad value stops the process with a message naming the variable, what it holds and what
it should hold, instead of failing later somewhere deep in a request."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from opsgraph.auth.tokens import ASYMMETRIC as ASYMMETRIC_ALGORITHMS


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is meant for the operator."""


ENVIRONMENTS = ("development", "production", "test")
MIN_SECRET_LENGTH = 32
# AMQP 0-9-1 exchange names: at most 127 of these characters ("amq." is the broker's own).
EXCHANGE_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,127}")


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    debug: bool = False
    host: str = "127.0.0.1"
    port: int = 4000
    database_url: str | None = None
    database_app_url: str | None = None
    redis_url: str | None = None
    redis_timeout_ms: int = 250
    redis_cool_down_ms: int = 1000
    # Every committed domain event is published to RabbitMQ when set (opsgraph/events/
    # amqp_export.py); the URL may hold a password.
    amqp_url: str | None = field(default=None, repr=False)
    amqp_exchange: str = "opsgraph.events"
    opensearch_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("opsgraph")))
    wal_archive_dir: Path | None = None
    """Continuous WAL archiving of the embedded PostgreSQL into this directory (PITR)."""
    db_pool_size: int = 10
    db_max_overflow: int = 5
    db_statement_timeout_ms: int = 10_000
    db_prepared_statements: bool = True
    gc_threshold: int = 200_000
    gc_interval_seconds: int = 10  # 0: collections by Python's thresholds alone
    default_tenant: str = "demo"
    log_level: str = "info"
    log_format: str = "text"  # or json: production's default (opsgraph/telemetry/logs.py)
    oidc_issuer: str | None = None
    oidc_audience: str = "opsgraph"
    jwt_algorithms: tuple[str, ...] = ("RS256",)
    anonymous_role: str | None = "admin"
    token_max_lifetime_seconds: int = 86_400  # 0: no maximum
    active_user_cache_seconds: int = 5
    rate_limit_per_second: float = 50.0
    rate_limit_burst: int = 100
    max_body_bytes: int = 1024 * 1024
    request_timeout_seconds: int = 30
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 5000
    max_directives: int = 50
    max_cost: int = 25_000
    max_variable_depth: int = 20
    max_variable_values: int = 10_000
    cors_origins: tuple[str, ...] = ()
    event_retention_hours: int = 24
    ws_init_timeout_seconds: int = 10
    ws_max_subscriptions: int = 100
    ws_max_connections_per_principal: int = 50
    ws_keepalive_seconds: int = 15
    ws_send_timeout_seconds: int = 10
    ws_queue_limit: int = 256
    response_cache_size: int = 1000
    apq_cache_size: int = 10_000
    safelist_allow_matching_text: bool = False
    persisted_only: bool = False
    # Shared by the split router and the stand-alone subgraphs (opsgraph/router_secret.py).
    subgraph_secret: str | None = field(default=None, repr=False)
    # HTTPS/WSS (TLS 1.3 only) when both are set; the CA the split router and the subgraphs'
    # peers check subgraph certificates with (opsgraph/serving.py).
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_ca: Path | None = None
    # SIGTERM: /ready answers 503 for the drain, then the listener closes, WebSockets get 1012
    # and requests in flight have the grace period to finish.
    shutdown_drain_seconds: int = 0
    shutdown_grace_seconds: int = 30
    # Who may read /metrics (opsgraph/metrics/exposition.py).
    metrics_token: str | None = field(default=None, repr=False)
    metrics_port: int | None = None
    # The durable job queue (opsgraph/jobs/): how often a worker looks for due jobs besides
    # being woken by new ones (LISTEN/NOTIFY), and when a silent worker's jobs are retaken.
    job_poll_ms: int = 1000
    job_stalled_seconds: int = 30
    # Outbound webhooks (subgraphs/webhooks/config.py reads the same variables at run time).
    webhook_allow_private: bool = False
    webhook_retry_base_ms: int = 30_000
    webhook_retry_for_seconds: int = 86_400
    webhook_disable_after_seconds: int = 5 * 86_400
    webhook_timeout_ms: int = 10_000
    # Attachments (opsgraph/attachments.py): the size of one file, the secret signing download
    # links (OPSGRAPH_SUBGRAPH_SECRET when unset, else a secret of the process's own).
    max_attachment_bytes: int = 25 * 1024 * 1024
    attachment_secret: str | None = field(default=None, repr=False)
    s3_url: str | None = None  # attachments in this bucket (and prefix) instead of PostgreSQL

    @property
    def embedded_database(self) -> bool:
        """True when no DATABASE_URL is set and OpsGraph runs its own PostgreSQL."""
        return self.database_url is None

    @property
    def graphiql(self) -> bool:
        return self.env != "production"

    @property
    def public_url(self) -> str:
        scheme = "https" if self.tls_cert else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def token_issuer(self) -> str:
        """The `iss` tokens must carry: the configured issuer, or OpsGraph's own dev issuer."""
        return (self.oidc_issuer or self.public_url).rstrip("/")


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; `#` comments, blank lines and surrounding quotes allowed."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep:
            raise SettingsError(f"{path}:{number}: expected KEY=VALUE, got {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_settings(environ: dict[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Build Settings from `environ` (default: os.environ) over an optional `.env` file.

    Real environment variables win over the file, as operators expect."""
    source = read_dotenv(dotenv if dotenv is not None else Path(".env"))
    source.update(os.environ if environ is None else environ)

    def text(name: str) -> str | None:
        value = source.get(name)
        return value.strip() if value and value.strip() else None

    def integer(name: str, default: int, low: int, high: int) -> int:
        value = text(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise SettingsError(f"{name}={value!r} is not a whole number") from None
        if not low <= number <= high:
            raise SettingsError(f"{name}={number} is out of range ({low}..{high})")
        return number

    def boolean(name: str, default: bool) -> bool:
        value = text(name)
        if value is None:
            return default
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{name}={value!r} is not a boolean (use true or false)")

    def url(name: str, schemes: tuple[str, ...]) -> str | None:
        value = text(name)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in schemes:
            raise SettingsError(
                f"{name} must be a URL starting with one of {', '.join(s + '://' for s in schemes)}"
                f" (got scheme {parts.scheme or 'none'!r})"
            )
        return value

    env = text("OPSGRAPH_ENV") or "development"
    if env not in ENVIRONMENTS:
        raise SettingsError(f"OPSGRAPH_ENV={env!r} must be one of {', '.join(ENVIRONMENTS)}")
    log_level = (text("OPSGRAPH_LOG_LEVEL") or "info").lower()
    if log_level not in ("debug", "info", "warning", "error"):
        raise SettingsError(f"OPSGRAPH_LOG_LEVEL={log_level!r} must be debug|info|warning|error")
    log_format = (
        text("OPSGRAPH_LOG_FORMAT") or ("json" if env == "production" else "text")
    ).lower()
    if log_format not in ("json", "text"):
        raise SettingsError(f"OPSGRAPH_LOG_FORMAT={log_format!r} must be json or text")
    data_dir = text("OPSGRAPH_DATA_DIR")
    wal_archive = text("OPSGRAPH_WAL_ARCHIVE_DIR")
    database_schemes = ("postgres", "postgresql", "postgresql+asyncpg")
    database_url = url("DATABASE_URL", database_schemes)
    database_app_url = url("DATABASE_APP_URL", database_schemes)
    if database_app_url is not None and database_url is None:
        raise SettingsError(
            "DATABASE_APP_URL needs DATABASE_URL (the embedded PostgreSQL derives its own)"
        )
    algorithms = tuple((text("OPSGRAPH_JWT_ALGORITHMS") or "RS256").replace(" ", "").split(","))
    unsafe = sorted(set(algorithms) - ASYMMETRIC_ALGORITHMS)
    if unsafe:
        raise SettingsError(
            f"OPSGRAPH_JWT_ALGORITHMS may list only asymmetric algorithms "
            f"({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}), not {', '.join(unsafe)}"
        )
    # Requests without a token act with this role in development; production requires tokens.
    subgraph_secret = text("OPSGRAPH_SUBGRAPH_SECRET")
    if subgraph_secret is not None and len(subgraph_secret) < MIN_SECRET_LENGTH:
        raise SettingsError(
            f"OPSGRAPH_SUBGRAPH_SECRET must be at least {MIN_SECRET_LENGTH} characters "
            "(e.g. from `openssl rand -hex 32`)"
        )

    def readable_file(name: str) -> Path | None:
        value = text(name)
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_file():
            raise SettingsError(f"{name}={value!r} is not a readable file")
        return path

    attachment_secret = text("OPSGRAPH_ATTACHMENT_SECRET")
    if attachment_secret is not None and len(attachment_secret) < MIN_SECRET_LENGTH:
        raise SettingsError(
            f"OPSGRAPH_ATTACHMENT_SECRET must be at least {MIN_SECRET_LENGTH} characters "
            "(e.g. from `openssl rand -hex 32`)"
        )
    tls_cert, tls_key = readable_file("OPSGRAPH_TLS_CERT"), readable_file("OPSGRAPH_TLS_KEY")
    if (tls_cert is None) != (tls_key is None):
        raise SettingsError("OPSGRAPH_TLS_CERT and OPSGRAPH_TLS_KEY must be set together")
    metrics_token = text("OPSGRAPH_METRICS_TOKEN")
    if metrics_token is not None and len(metrics_token) < MIN_SECRET_LENGTH:
        raise SettingsError(
            f"OPSGRAPH_METRICS_TOKEN must be at least {MIN_SECRET_LENGTH} characters "
            "(e.g. from `openssl rand -hex 32`)"
        )
    exchange = text("OPSGRAPH_AMQP_EXCHANGE") or "opsgraph.events"
    if not EXCHANGE_NAME.fullmatch(exchange) or exchange.startswith("amq."):
        raise SettingsError(
            f"OPSGRAPH_AMQP_EXCHANGE={exchange!r} must be 1 to 127 letters, digits, '-', '_', "
            "'.' or ':', not starting with 'amq.'"
        )
    anonymous = text("OPSGRAPH_ANONYMOUS_ROLE") or ("none" if env == "production" else "admin")
    if anonymous not in ("none", "viewer", "operator", "admin"):
        raise SettingsError(
            f"OPSGRAPH_ANONYMOUS_ROLE={anonymous!r} must be none, viewer, operator or admin"
        )
    return Settings(
        env=env,
        debug=boolean("OPSGRAPH_DEBUG", False),
        host=text("OPSGRAPH_HOST") or "127.0.0.1",
        port=integer("OPSGRAPH_PORT", 4000, 1, 65535),
        database_url=database_url,
        database_app_url=database_app_url,
        redis_url=url("REDIS_URL", ("redis", "rediss", "unix")),
        # How long a Redis call may wait, and how long Redis is skipped after a failure.
        redis_timeout_ms=integer("OPSGRAPH_REDIS_TIMEOUT_MS", 250, 10, 60_000),
        redis_cool_down_ms=integer("OPSGRAPH_REDIS_COOL_DOWN_MS", 1000, 10, 600_000),
        amqp_url=url("OPSGRAPH_AMQP_URL", ("amqp", "amqps")),
        amqp_exchange=exchange,
        opensearch_url=url("OPENSEARCH_URL", ("http", "https")),
        data_dir=Path(data_dir).expanduser() if data_dir else Settings().data_dir,
        wal_archive_dir=Path(wal_archive).expanduser().resolve() if wal_archive else None,
        db_pool_size=integer("OPSGRAPH_DB_POOL_SIZE", 10, 1, 200),
        db_max_overflow=integer("OPSGRAPH_DB_MAX_OVERFLOW", 5, 0, 200),
        db_statement_timeout_ms=integer("OPSGRAPH_DB_STATEMENT_TIMEOUT_MS", 10_000, 100, 3_600_000),
        db_prepared_statements=boolean("OPSGRAPH_DB_PREPARED_STATEMENTS", True),
        gc_threshold=integer("OPSGRAPH_GC_THRESHOLD", 200_000, 0, 10_000_000),
        gc_interval_seconds=integer("OPSGRAPH_GC_INTERVAL_SECONDS", 10, 0, 3600),
        default_tenant=text("OPSGRAPH_DEFAULT_TENANT") or "demo",
        log_level=log_level,
        log_format=log_format,
        oidc_issuer=url("OPSGRAPH_OIDC_ISSUER", ("http", "https")),
        oidc_audience=text("OPSGRAPH_OIDC_AUDIENCE") or "opsgraph",
        jwt_algorithms=algorithms,
        anonymous_role=None if anonymous == "none" else anonymous,
        token_max_lifetime_seconds=integer(
            "OPSGRAPH_TOKEN_MAX_LIFETIME_SECONDS", 86_400, 0, 90 * 86_400
        ),
        active_user_cache_seconds=integer("OPSGRAPH_ACTIVE_USER_CACHE_SECONDS", 5, 0, 3600),
        rate_limit_per_second=float(integer("OPSGRAPH_RATE_LIMIT_PER_SECOND", 50, 0, 100_000)),
        rate_limit_burst=integer("OPSGRAPH_RATE_LIMIT_BURST", 100, 1, 1_000_000),
        max_body_bytes=integer("OPSGRAPH_MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
        request_timeout_seconds=integer("OPSGRAPH_REQUEST_TIMEOUT_SECONDS", 30, 1, 3600),
        max_depth=integer("OPSGRAPH_MAX_DEPTH", 10, 1, 100),
        max_aliases=integer("OPSGRAPH_MAX_ALIASES", 30, 0, 10_000),
        max_tokens=integer("OPSGRAPH_MAX_TOKENS", 5000, 100, 1_000_000),
        max_directives=integer("OPSGRAPH_MAX_DIRECTIVES", 50, 0, 10_000),
        max_cost=integer("OPSGRAPH_MAX_COST", 25_000, 100, 100_000_000),
        # orjson, which hashes variables for the response cache, encodes 254 levels at most
        max_variable_depth=integer("OPSGRAPH_MAX_VARIABLE_DEPTH", 20, 1, 200),
        max_variable_values=integer("OPSGRAPH_MAX_VARIABLE_VALUES", 10_000, 1, 10_000_000),
        response_cache_size=integer("OPSGRAPH_RESPONSE_CACHE_SIZE", 1000, 0, 1_000_000),
        apq_cache_size=integer("OPSGRAPH_APQ_CACHE_SIZE", 10_000, 1, 1_000_000),
        safelist_allow_matching_text=boolean("OPSGRAPH_SAFELIST_ALLOW_MATCHING_TEXT", False),
        # Every caller may run only its client's registered documents (GraphiQL included).
        persisted_only=boolean("OPSGRAPH_PERSISTED_ONLY", False),
        cors_origins=tuple(
            origin.strip()
            for origin in (text("OPSGRAPH_CORS_ORIGINS") or "").split(",")
            if origin.strip()
        ),
        event_retention_hours=integer("OPSGRAPH_EVENT_RETENTION_HOURS", 24, 1, 24 * 90),
        job_poll_ms=integer("OPSGRAPH_JOB_POLL_MS", 1000, 10, 60_000),
        job_stalled_seconds=integer("OPSGRAPH_JOB_STALLED_SECONDS", 30, 1, 3600),
        webhook_allow_private=boolean("OPSGRAPH_WEBHOOK_ALLOW_PRIVATE", False),
        webhook_retry_base_ms=integer("OPSGRAPH_WEBHOOK_RETRY_BASE_MS", 30_000, 1, 3_600_000),
        webhook_retry_for_seconds=integer(
            "OPSGRAPH_WEBHOOK_RETRY_FOR_SECONDS", 86_400, 1, 30 * 86_400
        ),
        webhook_disable_after_seconds=integer(
            "OPSGRAPH_WEBHOOK_DISABLE_AFTER_SECONDS", 5 * 86_400, 0, 365 * 86_400
        ),
        webhook_timeout_ms=integer("OPSGRAPH_WEBHOOK_TIMEOUT_MS", 10_000, 100, 60_000),
        ws_init_timeout_seconds=integer("OPSGRAPH_WS_INIT_TIMEOUT_SECONDS", 10, 1, 300),
        ws_max_subscriptions=integer("OPSGRAPH_WS_MAX_SUBSCRIPTIONS", 100, 1, 10_000),
        ws_max_connections_per_principal=integer(
            "OPSGRAPH_WS_MAX_CONNECTIONS_PER_PRINCIPAL", 50, 1, 1_000_000
        ),
        ws_keepalive_seconds=integer("OPSGRAPH_WS_KEEPALIVE_SECONDS", 15, 1, 3600),
        ws_send_timeout_seconds=integer("OPSGRAPH_WS_SEND_TIMEOUT_SECONDS", 10, 1, 600),
        ws_queue_limit=integer("OPSGRAPH_WS_QUEUE_LIMIT", 256, 1, 100_000),
        subgraph_secret=subgraph_secret,
        # A GraphQL Int holds an attachment's size: at most 2 GiB - 1.
        max_attachment_bytes=integer(
            "OPSGRAPH_MAX_ATTACHMENT_BYTES", 25 * 1024 * 1024, 1, 2**31 - 1
        ),
        attachment_secret=attachment_secret,
        s3_url=url("OPSGRAPH_S3_URL", ("s3", "s3a", "https", "http")),
        tls_cert=tls_cert,
        tls_key=tls_key,
        tls_ca=readable_file("OPSGRAPH_TLS_CA"),
        shutdown_drain_seconds=integer("OPSGRAPH_SHUTDOWN_DRAIN_SECONDS", 0, 0, 600),
        shutdown_grace_seconds=integer("OPSGRAPH_SHUTDOWN_GRACE_SECONDS", 30, 0, 3600),
        metrics_token=metrics_token,
        metrics_port=(
            integer("OPSGRAPH_METRICS_PORT", 0, 1, 65535)
            if text("OPSGRAPH_METRICS_PORT") is not None
            else None
        ),
    )
