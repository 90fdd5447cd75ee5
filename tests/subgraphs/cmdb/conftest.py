"""Fixtures of the CMDB subgraph's tests: the subgraph in-process for the test's tenant, and
helpers that make CIs."""

from __future__ import annotations

from typing import Any

import pytest

from subgraphs.cmdb import schema as cmdb_schema
from tests.support import Subgraph

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
