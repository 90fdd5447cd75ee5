"""Fault injection runs the real server process over the e2e database and tenant."""

from tests.e2e.conftest import e2e_database_url, seeded, server_env

__all__ = ["e2e_database_url", "seeded", "server_env"]
