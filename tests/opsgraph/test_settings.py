"""Settings are validated at start-up, with messages an operator can act on."""

# ruff: noqa: E501  (the expected messages are compared whole)

from __future__ import annotations

from pathlib import Path

import pytest

from opsgraph.settings import SettingsError, load_settings

NO_FILE = Path("/nonexistent/.env")


def test_defaults_use_the_embedded_services() -> None:
    settings = load_settings({}, NO_FILE)
    assert settings.embedded_database and settings.redis_url is None
    assert (settings.host, settings.port, settings.env) == ("127.0.0.1", 4000, "development")
    assert settings.graphiql
    # Tokens live at most a day; whether a token's user is active is cached for 5 s.
    assert (settings.token_max_lifetime_seconds, settings.active_user_cache_seconds) == (86400, 5)
    assert (settings.redis_timeout_ms, settings.redis_cool_down_ms) == (250, 1000)
    # Collections by the clock, the allocation threshold a distant bound (opsgraph/gc_tuning.py).
    assert (settings.gc_interval_seconds, settings.gc_threshold) == (10, 200_000)


@pytest.mark.parametrize(
    "environ,message",
    [
        ({"OPSGRAPH_PORT": "http"}, "OPSGRAPH_PORT='http' is not a whole number"),
        ({"OPSGRAPH_LOG_FORMAT": "xml"}, "OPSGRAPH_LOG_FORMAT='xml' must be json or text"),
        ({"OPSGRAPH_PORT": "70000"}, "OPSGRAPH_PORT=70000 is out of range (1..65535)"),
        ({"OPSGRAPH_ENV": "prod"}, "OPSGRAPH_ENV='prod' must be one of development, production, test"),
        ({"OPSGRAPH_DEBUG": "maybe"}, "OPSGRAPH_DEBUG='maybe' is not a boolean (use true or false)"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must be a URL starting with one of postgres://, postgresql://, postgresql+asyncpg:// (got scheme 'mysql')"),
        ({"DATABASE_URL": "postgresql://o@db/x", "DATABASE_APP_URL": "db:5432"}, "DATABASE_APP_URL must be a URL starting with one of postgres://, postgresql://, postgresql+asyncpg:// (got scheme 'db')"),
        ({"DATABASE_APP_URL": "postgresql://app@db/x"}, "DATABASE_APP_URL needs DATABASE_URL (the embedded PostgreSQL derives its own)"),
        ({"OPSGRAPH_GC_THRESHOLD": "-1"}, "OPSGRAPH_GC_THRESHOLD=-1 is out of range (0..10000000)"),
        ({"OPSGRAPH_GC_INTERVAL_SECONDS": "0.5"}, "OPSGRAPH_GC_INTERVAL_SECONDS='0.5' is not a whole number"),
        ({"OPSGRAPH_GC_INTERVAL_SECONDS": "7200"}, "OPSGRAPH_GC_INTERVAL_SECONDS=7200 is out of range (0..3600)"),
        ({"OPSGRAPH_MAX_VARIABLE_DEPTH": "300"}, "OPSGRAPH_MAX_VARIABLE_DEPTH=300 is out of range (1..200)"),
        ({"OPSGRAPH_MAX_VARIABLE_VALUES": "0"}, "OPSGRAPH_MAX_VARIABLE_VALUES=0 is out of range (1..10000000)"),
        ({"OPSGRAPH_DB_PREPARED_STATEMENTS": "pgbouncer"}, "OPSGRAPH_DB_PREPARED_STATEMENTS='pgbouncer' is not a boolean (use true or false)"),
        ({"OPSGRAPH_SUBGRAPH_SECRET": "short"}, "OPSGRAPH_SUBGRAPH_SECRET must be at least 32 characters (e.g. from `openssl rand -hex 32`)"),
        ({"OPSGRAPH_TOKEN_MAX_LIFETIME_SECONDS": "1d"}, "OPSGRAPH_TOKEN_MAX_LIFETIME_SECONDS='1d' is not a whole number"),
        ({"OPSGRAPH_TOKEN_MAX_LIFETIME_SECONDS": "9999999"}, "OPSGRAPH_TOKEN_MAX_LIFETIME_SECONDS=9999999 is out of range (0..7776000)"),
        ({"OPSGRAPH_ACTIVE_USER_CACHE_SECONDS": "-1"}, "OPSGRAPH_ACTIVE_USER_CACHE_SECONDS=-1 is out of range (0..3600)"),
        ({"OPSGRAPH_REDIS_TIMEOUT_MS": "0"}, "OPSGRAPH_REDIS_TIMEOUT_MS=0 is out of range (10..60000)"),
        ({"OPSGRAPH_REDIS_COOL_DOWN_MS": "soon"}, "OPSGRAPH_REDIS_COOL_DOWN_MS='soon' is not a whole number"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must be a URL starting with one of redis://, rediss://, unix:// (got scheme 'localhost')"),
        ({"OPSGRAPH_AMQP_URL": "localhost:5672"}, "OPSGRAPH_AMQP_URL must be a URL starting with one of amqp://, amqps:// (got scheme 'localhost')"),
        ({"OPSGRAPH_AMQP_EXCHANGE": "amq.topic"}, "OPSGRAPH_AMQP_EXCHANGE='amq.topic' must be 1 to 127 letters, digits, '-', '_', '.' or ':', not starting with 'amq.'"),
        ({"OPSGRAPH_AMQP_EXCHANGE": "ops graph"}, "OPSGRAPH_AMQP_EXCHANGE='ops graph' must be 1 to 127 letters, digits, '-', '_', '.' or ':', not starting with 'amq.'"),
        ({"OPSGRAPH_METRICS_TOKEN": "short"}, "OPSGRAPH_METRICS_TOKEN must be at least 32 characters (e.g. from `openssl rand -hex 32`)"),
        ({"OPSGRAPH_METRICS_PORT": "0"}, "OPSGRAPH_METRICS_PORT=0 is out of range (1..65535)"),
        ({"OPSGRAPH_METRICS_PORT": "metrics"}, "OPSGRAPH_METRICS_PORT='metrics' is not a whole number"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_clearly(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(environ, NO_FILE)
    assert str(error.value) == message


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text('# local\nOPSGRAPH_PORT=4100\nexport REDIS_URL="redis://127.0.0.1:6379/1"\n')
    settings = load_settings({"OPSGRAPH_PORT": "4200"}, dotenv)
    assert settings.port == 4200 and settings.redis_url == "redis://127.0.0.1:6379/1"
    assert load_settings({"OPSGRAPH_ENV": "production"}, NO_FILE).graphiql is False


def test_a_malformed_dotenv_line_is_named(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("OPSGRAPH_PORT=1\nthis is not a setting\n")
    with pytest.raises(SettingsError, match=r"\.env:2: expected KEY=VALUE"):
        load_settings({}, dotenv)


def test_the_app_database_url_is_derived_unless_set() -> None:
    from db.roles import app_database_url

    owner = "postgresql://owner:secret@db:5432/opsgraph"
    assert app_database_url(owner) == "postgresql://opsgraph_app@db:5432/opsgraph"
    embedded = "postgresql://postgres@/opsgraph?host=%2Ftmp%2Fpg"
    assert app_database_url(embedded) == "postgresql://opsgraph_app@/opsgraph?host=%2Ftmp%2Fpg"
    settings = load_settings(
        {"DATABASE_URL": owner, "DATABASE_APP_URL": "postgresql://app:pw@db/opsgraph"}, NO_FILE
    )
    assert settings.database_app_url == "postgresql://app:pw@db/opsgraph"


def test_the_subgraph_secret_is_read_and_never_printed() -> None:
    secret = "0123456789abcdef" * 4
    settings = load_settings({"OPSGRAPH_SUBGRAPH_SECRET": f" {secret} "}, NO_FILE)
    assert settings.subgraph_secret == secret
    assert secret not in repr(settings)
    assert load_settings({}, NO_FILE).subgraph_secret is None


def test_the_amqp_url_is_read_and_never_printed() -> None:
    url = "amqps://opsgraph:s3cret-password@broker.internal:5671/ops"
    settings = load_settings({"OPSGRAPH_AMQP_URL": url}, NO_FILE)
    assert (settings.amqp_url, settings.amqp_exchange) == (url, "opsgraph.events")
    assert "s3cret-password" not in repr(settings)
    assert load_settings({}, NO_FILE).amqp_url is None


def test_the_metrics_token_is_read_and_never_printed() -> None:
    token = "fedcba9876543210" * 4
    settings = load_settings(
        {"OPSGRAPH_METRICS_TOKEN": token, "OPSGRAPH_METRICS_PORT": "9464"}, NO_FILE
    )
    assert (settings.metrics_token, settings.metrics_port) == (token, 9464)
    assert token not in repr(settings)
    assert load_settings({}, NO_FILE).metrics_port is None


def test_variable_limits_reach_the_operation_limits() -> None:
    from opsgraph.server import operation_limits

    defaults = operation_limits(load_settings({}, NO_FILE))
    assert (defaults.max_variable_depth, defaults.max_variable_values) == (20, 10_000)
    environ = {"OPSGRAPH_MAX_VARIABLE_DEPTH": "5", "OPSGRAPH_MAX_VARIABLE_VALUES": "50"}
    limits = operation_limits(load_settings(environ, NO_FILE))
    assert (limits.max_variable_depth, limits.max_variable_values) == (5, 50)


def test_the_wal_archive_is_off_unless_a_directory_is_named(tmp_path: Path) -> None:
    assert load_settings({}, NO_FILE).wal_archive_dir is None
    settings = load_settings({"OPSGRAPH_WAL_ARCHIVE_DIR": str(tmp_path / "wal")}, NO_FILE)
    assert settings.wal_archive_dir == tmp_path / "wal"


def test_tls_needs_a_readable_certificate_and_key(tmp_path: Path) -> None:
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    certificate.write_text("-----BEGIN CERTIFICATE-----\n")
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    with pytest.raises(SettingsError) as only_one:
        load_settings({"OPSGRAPH_TLS_CERT": str(certificate)}, NO_FILE)
    assert str(only_one.value) == "OPSGRAPH_TLS_CERT and OPSGRAPH_TLS_KEY must be set together"
    with pytest.raises(SettingsError) as missing:
        load_settings(
            {"OPSGRAPH_TLS_CERT": str(certificate), "OPSGRAPH_TLS_KEY": "/nonexistent/key.pem"},
            NO_FILE,
        )
    assert str(missing.value) == "OPSGRAPH_TLS_KEY='/nonexistent/key.pem' is not a readable file"
    settings = load_settings(
        {"OPSGRAPH_TLS_CERT": str(certificate), "OPSGRAPH_TLS_KEY": str(key)}, NO_FILE
    )
    assert (settings.tls_cert, settings.tls_key) == (certificate, key)
    assert settings.public_url == "https://127.0.0.1:4000"  # the development issuer's `iss`


def test_shutdown_defaults_and_bounds() -> None:
    settings = load_settings({}, NO_FILE)
    assert (settings.shutdown_drain_seconds, settings.shutdown_grace_seconds) == (0, 30)
    with pytest.raises(SettingsError) as error:
        load_settings({"OPSGRAPH_SHUTDOWN_GRACE_SECONDS": "-1"}, NO_FILE)
    assert str(error.value) == "OPSGRAPH_SHUTDOWN_GRACE_SECONDS=-1 is out of range (0..3600)"
