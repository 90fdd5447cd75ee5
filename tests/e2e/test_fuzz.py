"""Schemathesis fuzzes the composed GraphQL schema through the real server process, as the
(development) admin of the seeded tenant: whatever it sends, never a server error, and every
error carries a code. The fuzzer writes freely, so it gets a database and server of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import graphql
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import fresh_database
from tests.e2e.conftest import TENANT, Server, seed_tenant, start_server, stop_server
from tests.support import free_port

EXAMPLES_PER_FIELD = 20
# A file travels only in a multipart request (tests/e2e/test_attachments.py covers those); in
# the JSON body the fuzzer sends, an `Upload` argument is any string, refused as bad input.
schemathesis.graphql.scalar(
    "Upload", st.text(max_size=20).map(lambda v: graphql.StringValueNode(value=v))
)


@pytest.fixture(scope="module")
def fuzz_server(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    for database_url in fresh_database(server_url, "opsgraph_fuzz"):
        seed_tenant(database_url)
        env = {
            "DATABASE_URL": database_url,
            "OPSGRAPH_DEFAULT_TENANT": TENANT,
            "OPSGRAPH_DATA_DIR": str(Path(tmp_path_factory.mktemp("fuzz-data"))),
            "OPSGRAPH_RATE_LIMIT_PER_SECOND": "0",
        }
        running = start_server(["serve"], env, free_port())
        yield running
        stop_server(running)


def check(case: Any) -> None:
    try:
        response = case.call(timeout=30)
    except Exception as error:  # a hang or a dropped connection: say which request
        raise AssertionError(f"{type(error).__name__} for {case.body!r}") from None
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    for error in response.json().get("errors", []):
        code = error.get("extensions", {}).get("code")
        assert code and code != "INTERNAL_SERVER_ERROR", error


def test_no_server_errors(fuzz_server: Server) -> None:
    schema = schemathesis.graphql.from_url(fuzz_server.graphql)
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
