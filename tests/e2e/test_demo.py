"""The README's first command as a new user runs it: `opsgraph serve --demo` on an empty
database creates the demo tenant, prints a token, and serves the nested query with it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import fresh_database
from tests.e2e.conftest import start_server, stop_server
from tests.support import free_port

NESTED = """{ incidents(pagination: {first: 3}) { totalCount edges { node { number
  assignee { name email } team { name } comments(last: 2) { body author { name } } } } } }"""


def test_serve_demo_prints_a_token_that_works(
    server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for database_url in fresh_database(server_url, "opsgraph_demo"):
        env = {
            "DATABASE_URL": database_url,
            "OPSGRAPH_DATA_DIR": str(Path(tmp_path_factory.mktemp("demo-data"))),
        }
        server = start_server(["serve", "--demo"], env, free_port())
        try:
            output = server.log.read_text()
            assert f"GraphiQL at {server.url}/graphql" in output
            token = re.search(r'"Authorization": "Bearer ([^"]+)"', output)
            assert token, output
            response = httpx.post(
                server.graphql,
                json={"query": NESTED},
                headers={"authorization": f"Bearer {token.group(1)}"},
            )
            body = response.json()
            assert "errors" not in body, body
            assert body["data"]["incidents"]["totalCount"] == 300
            assert all(e["node"]["team"]["name"] for e in body["data"]["incidents"]["edges"])
        finally:
            stop_server(server)
