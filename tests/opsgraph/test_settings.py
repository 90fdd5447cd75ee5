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
    assert (settings.redis_timeout_ms, settings.redis_cool_down_ms) == (250, 1000)


@pytest.mark.parametrize(
    "environ,message",
    [
        ({"OPSGRAPH_PORT": "http"}, "OPSGRAPH_PORT='http' is not a whole number"),
        ({"OPSGRAPH_PORT": "70000"}, "OPSGRAPH_PORT=70000 is out of range (1..65535)"),
        ({"OPSGRAPH_ENV": "prod"}, "OPSGRAPH_ENV='prod' must be one of development, production, test"),
        ({"OPSGRAPH_DEBUG": "maybe"}, "OPSGRAPH_DEBUG='maybe' is not a boolean (use true or false)"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must be a URL starting with one of postgres://, postgresql://, postgresql+asyncpg:// (got scheme 'mysql')"),
        ({"DATABASE_URL": "postgresql://o@db/x", "DATABASE_APP_URL": "db:5432"}, "DATABASE_APP_URL must be a URL starting with one of postgres://, postgresql://, postgresql+asyncpg:// (got scheme 'db')"),
        ({"DATABASE_APP_URL": "postgresql://app@db/x"}, "DATABASE_APP_URL needs DATABASE_URL (the embedded PostgreSQL derives its own)"),
        ({"OPSGRAPH_GC_THRESHOLD": "-1"}, "OPSGRAPH_GC_THRESHOLD=-1 is out of range (0..10000000)"),
        ({"OPSGRAPH_DB_PREPARED_STATEMENTS": "pgbouncer"}, "OPSGRAPH_DB_PREPARED_STATEMENTS='pgbouncer' is not a boolean (use true or false)"),
        ({"OPSGRAPH_REDIS_TIMEOUT_MS": "0"}, "OPSGRAPH_REDIS_TIMEOUT_MS=0 is out of range (10..60000)"),
        ({"OPSGRAPH_REDIS_COOL_DOWN_MS": "soon"}, "OPSGRAPH_REDIS_COOL_DOWN_MS='soon' is not a whole number"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must be a URL starting with one of redis://, rediss://, unix:// (got scheme 'localhost')"),
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
