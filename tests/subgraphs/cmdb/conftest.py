"""Fixtures of the CMDB subgraph's tests: the subgraph in-process for the test's tenant, the
router in-process (for incidents naming CIs), and helpers that make CIs."""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.server import build_gateway
from router.gateway import Gateway
from subgraphs.cmdb import schema as cmdb_schema
from tests.support import Subgraph, error_codes, ok_in_router, run_in_router

CREATE_CI = """
mutation($input: CreateConfigurationItemInput!) {
  createConfigurationItem(input: $input) {
    id name status environment criticality attributes source externalId redundancyRequired
    ciClass { name }
  }
}"""


@pytest.fixture
def cmdb(new_context: Any) -> Subgraph:
    return Subgraph(cmdb_schema, new_context)


async def create_ci(cmdb: Subgraph, class_name: str, name: str, **fields: Any) -> dict[str, Any]:
    """A new CI of the test's tenant (the mutation's answer)."""
    data = await cmdb.ok(CREATE_CI, input={"className": class_name, "name": name, **fields})
    return data["createConfigurationItem"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    return build_gateway()


# Operations through the router in-process (tests/support.py), under the names the tests use.
run = run_in_router
ok = ok_in_router
codes = error_codes
