"""Fault injection: the real server process while its PostgreSQL (or Redis) stops and starts."""

from tests.e2e.conftest import e2e_database_url, seeded, seeded_at, server_env

__all__ = ["e2e_database_url", "seeded", "seeded_at", "server_env"]
