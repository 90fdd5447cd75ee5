"""Root fields of relationships and impact analysis, merged into the CMDB's Query (schema.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from sqlalchemy import select

from resolvers.errors import BadUserInput, NotFound
from resolvers.ids import parse_id
from resolvers.loaders import load_by_id
from resolvers.permissions import requires
from subgraphs.cmdb import permissions, tables
from subgraphs.cmdb.catalogue import ensure_builtin_classes
from subgraphs.cmdb.graph_enums import ImpactDirection
from subgraphs.cmdb.graph_fields import (
    DEFAULT_DEPTH,
    DepthArgument,
    RedundancyArgument,
    TypesArgument,
    analysed,
    impact_graph,
    impact_query,
    relationship_types,
)
from subgraphs.cmdb.graph_loaders import RelationshipByIdLoader, RelationshipTypesByTenantIdLoader
from subgraphs.cmdb.graph_types import CiRelationship, ImpactGraph, ImpactNode, RelationshipType

BUSINESS_SERVICE = "BusinessService"
OUTAGE_MAX = 1000


@strawberry.type(description="What several configuration items failing at once take down.")
class OutageImpact:
    business_services: list[ImpactNode] = strawberry.field(
        description="The business services hit (CIs of class BusinessService or below), "
        "nearest first."
    )
    graph: ImpactGraph = strawberry.field(description="Everything the failure reaches.")


async def _business_classes(info: strawberry.Info) -> set[uuid.UUID]:
    """The ids of BusinessService and of the tenant's classes below it."""
    c = tables.CiClass
    rows = await info.context.db.rows(
        select(c.id, c.parent_id, c.name).where(c.tenant_id == info.context.tenant_id)
    )
    parents = {row.id: row.parent_id for row in rows}
    found = {row.id for row in rows if row.name == BUSINESS_SERVICE}
    for id in parents:
        current: uuid.UUID | None = id
        while current is not None and current not in found:
            current = parents.get(current)
        if current is not None:
            found.add(id)
    return found


@strawberry.type
class GraphQuery:
    @strawberry.field(
        description="The tenant's relationship types, by name.",
        extensions=requires(permissions.VIEW),
    )
    async def relationship_types(self, info: strawberry.Info) -> list[RelationshipType]:
        ctx = info.context
        known = await relationship_types(info)
        if not known:  # the tenant's first look at the CMDB: materialise the built-in ones
            async with ctx.db.unit_of_work() as session:
                await ensure_builtin_classes(session, ctx.tenant_id)
            ctx.loaders.get(RelationshipTypesByTenantIdLoader).clear(ctx.tenant_id)
            known = await relationship_types(info)
        return list(known.values())

    @strawberry.field(
        description="A relationship by id; null when there is none.",
        extensions=requires(permissions.VIEW),
    )
    async def ci_relationship(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> CiRelationship | None:
        row = await load_by_id(info.context, RelationshipByIdLoader, id)
        if row is None:
            return None
        return CiRelationship.from_row(row, (await relationship_types(info))[row.type_id])

    @strawberry.field(
        description="Several configuration items down at once: what they take down, and which "
        "business services are hit. NOT_FOUND (with the ids) for a CI that is not the "
        "tenant's; BAD_USER_INPUT for no CI, more than 1000, or a depth beyond 50.",
        extensions=requires(permissions.VIEW),
    )
    async def outage_impact(
        self,
        info: strawberry.Info,
        ci_ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="The CIs that are down.")
        ],
        depth: DepthArgument = DEFAULT_DEPTH,
        types: TypesArgument = None,
        redundancy_aware: RedundancyArgument = True,
    ) -> OutageImpact:
        if not 1 <= len(ci_ids) <= OUTAGE_MAX:
            raise BadUserInput(f"ciIds must name between 1 and {OUTAGE_MAX} CIs", argument="ciIds")
        roots = [parse_id(id, "ciIds") for id in ci_ids]
        query, known = await impact_query(
            info, ImpactDirection.DOWNSTREAM, depth, types, redundancy_aware
        )
        impact = await analysed(info, roots, query)
        if impact.missing:
            raise NotFound(
                f"No configuration item with id {impact.missing[0]}",
                argument="ciIds",
                ids=[str(id) for id in impact.missing],
            )
        graph, rows = await impact_graph(
            info, impact, query, known, ("graph",), [("businessServices",)]
        )
        business = await _business_classes(info)
        services = [
            node for node, row in zip(graph.nodes, rows, strict=True) if row.class_id in business
        ]
        return OutageImpact(business_services=services, graph=graph)
