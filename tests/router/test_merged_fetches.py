"""Sibling ``_entities`` fetches to one subgraph are merged only into documents the subgraph
accepts: a response key selected on two entity types must have the same shape in both
(``User.email: String!`` and ``Team.email: String`` must not share one document)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import parse, validate

from db.tenants import find_tenant_id
from opsgraph.domains import REGISTRY
from opsgraph.seed import seed_demo
from opsgraph.server import build_gateway, build_supergraph
from resolvers.context import Context
from router.planning import plan
from router.planning.nodes import FetchNode

SUPERGRAPH = build_supergraph()
CLASHING = "query($id: ID!) { incident(id: $id) { assignee { email } team { email } } }"
ALIKE = "query($id: ID!) { incident(id: $id) { assignee { name } team { name } } }"
DETAIL = (
    "query($id: ID!) { incident(id: $id) { number title assignee { name email phone } "
    "reporter { name email } team { name email description members { name email } } "
    "comments { body author { name email } } history { actor { name email } } } }"
)


def fetches(node: Any) -> Iterator[FetchNode]:
    if isinstance(node, FetchNode):
        yield node
    elif dataclasses.is_dataclass(node):
        for field in dataclasses.fields(node):
            value = getattr(node, field.name)
            for child in value if isinstance(value, tuple | list) else (value,):
                yield from fetches(child)


def identity_fetches(query: str) -> list[FetchNode]:
    return [
        f for f in fetches(plan(SUPERGRAPH, parse(query), None).node) if f.subgraph == "identity"
    ]


@pytest.mark.parametrize("query", [CLASHING, ALIKE, DETAIL], ids=["clashing", "alike", "detail"])
def test_every_fetch_document_is_valid_for_its_subgraph(query: str) -> None:
    schemas = {domain.name: domain.schema._schema for domain in REGISTRY.domains}
    for fetch in fetches(plan(SUPERGRAPH, parse(query), None).node):
        errors = validate(schemas[fetch.subgraph], parse(fetch.operation))
        assert not errors, (fetch.operation, errors)


def test_only_fields_of_one_shape_share_a_fetch() -> None:
    assert len(identity_fetches(ALIKE)) == 1  # name is String! on User and on Team
    assert len(identity_fetches(CLASHING)) == 2  # email is String! on User, String on Team


async def test_the_clashing_selection_is_answered(
    owner_sessions: Any, sessions: Any, tenant_id: uuid.UUID
) -> None:
    slug = f"merge-{tenant_id.hex[:8]}"
    async with owner_sessions() as session, session.begin():
        await seed_demo(session, slug=slug, scale=30)
    async with owner_sessions() as session:
        tenant = await find_tenant_id(session, slug)
    assert tenant is not None
    admin = REGISTRY.roles.principal(tenant, frozenset({"admin"}), authenticated=True)
    gateway = build_gateway()
    context = Context.open(sessions, principal=admin)
    try:
        page = await gateway.execute(
            "{ incidents(filter: {status: [IN_PROGRESS]}, pagination: {first: 1}) "
            "{ edges { node { id } } } }",
            None,
            None,
            context,
        )
        incident = page["data"]["incidents"]["edges"][0]["node"]["id"]
        result = await gateway.execute(CLASHING, {"id": incident}, None, context)
    finally:
        await context.close()
    assert "errors" not in result, result["errors"]
    assert "@demo.example" in result["data"]["incident"]["assignee"]["email"]
    assert result["data"]["incident"]["team"] == {"email": None}
