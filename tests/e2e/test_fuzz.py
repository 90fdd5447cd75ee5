"""Schemathesis fuzzes the composed GraphQL schema through the real server process, as the
(development) admin of the seeded tenant: whatever it sends, never a server error, and every
error carries a code."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.e2e.conftest import Server

EXAMPLES_PER_FIELD = 20


def check(case: Any) -> None:
    response = case.call(timeout=30)
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    for error in response.json().get("errors", []):
        code = error.get("extensions", {}).get("code")
        assert code and code != "INTERNAL_SERVER_ERROR", error


def test_no_server_errors(server: Server) -> None:
    schema = schemathesis.graphql.from_url(server.graphql)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15  # every root query and mutation field
    for operation in operations:
        fuzz = settings(
            max_examples=EXAMPLES_PER_FIELD,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(given(case=operation.as_strategy())(check))
        fuzz()
