"""The fields relationships and impact analysis add to `ConfigurationItem` (`CiGraphFields`,
a base class of types.ConfigurationItem), and what they and `outageImpact` share: the checked
arguments, the analysis, and its GraphQL graph."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, cast

import strawberry
from graphql import GraphQLResolveInfo

from resolvers.columns import Columns, selected_fields
from resolvers.errors import BadUserInput
from resolvers.ids import try_parse_id
from subgraphs.cmdb import enums
from subgraphs.cmdb.graph_enums import ImpactDirection, RelationshipDirection
from subgraphs.cmdb.graph_loaders import (
    RelationshipsByChildIdLoader,
    RelationshipsByParentIdLoader,
    RelationshipTypesByTenantIdLoader,
)
from subgraphs.cmdb.graph_types import (
    CiRelationship,
    ImpactEdge,
    ImpactGraph,
    ImpactNode,
    RelationshipType,
    configuration_item,
)
from subgraphs.cmdb.impact import MAX_DEPTH, Impact, analyse
from subgraphs.cmdb.loaders import CiByIdLoader
from subgraphs.cmdb.redundancy import Edge

DEFAULT_DEPTH = 20


@dataclass(frozen=True)
class ImpactQuery:
    """An impact field's arguments, checked."""

    direction: ImpactDirection
    depth: int
    type_ids: list[uuid.UUID] | None
    redundancy_aware: bool


async def relationship_types(info: strawberry.Info) -> dict[uuid.UUID, RelationshipType]:
    """The tenant's relationship types by id (one read per request)."""
    loader = info.context.loaders.get(RelationshipTypesByTenantIdLoader)
    rows = await loader.load(info.context.tenant_id)
    return {row.id: RelationshipType.from_row(row) for row in rows}


def type_ids(
    types: dict[uuid.UUID, RelationshipType], names: Sequence[str] | None
) -> list[uuid.UUID] | None:
    """The ids of the types named (None: every type); BAD_USER_INPUT for an unknown name."""
    if names is None:
        return None
    by_name = {t.name: id for id, t in types.items()}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise BadUserInput(
            f"No relationship type named {unknown[0]!r}", argument="types", types=unknown
        )
    return [by_name[name] for name in names]


async def impact_query(
    info: strawberry.Info,
    direction: ImpactDirection,
    depth: int,
    types: Sequence[str] | None,
    redundancy_aware: bool,
) -> tuple[ImpactQuery, dict[uuid.UUID, RelationshipType]]:
    """The arguments checked (BAD_USER_INPUT for a depth beyond 0..50 or an unknown type),
    and the tenant's relationship types by id."""
    if not 0 <= depth <= MAX_DEPTH:
        raise BadUserInput(f"depth must be between 0 and {MAX_DEPTH}", argument="depth")
    known = await relationship_types(info)
    return ImpactQuery(direction, depth, type_ids(known, types), redundancy_aware), known


async def analysed(info: strawberry.Info, roots: Sequence[uuid.UUID], query: ImpactQuery) -> Impact:
    """The analysis of `roots` failing, on the request's database."""
    return await analyse(
        info.context.db,
        roots,
        query.direction,
        query.depth,
        query.type_ids,
        query.redundancy_aware,
    )


def _union(columns: Iterable[Columns]) -> Columns:
    found: set[str] = set()
    for more in columns:
        if more is None:
            return None
        found |= more
    return frozenset(found)


async def impact_graph(
    info: strawberry.Info,
    impact: Impact,
    query: ImpactQuery,
    types: dict[uuid.UUID, RelationshipType],
    graph_path: tuple[str, ...] = (),
    more: Sequence[tuple[str, ...]] = (),
) -> tuple[ImpactGraph, list[Any]]:
    """The GraphQL graph of an analysis (the field's ImpactGraph at `graph_path`; `more`
    are paths to other lists of its nodes), with its nodes' CI rows in the nodes' order:
    read at once with the columns every selected CI needs, and `class_id` (or those the
    analysis holds, when it holds every column needed). A blast radius has thousands of
    nodes: what the operation does not select (`via`, `edges`) is not built."""
    raw = cast(GraphQLResolveInfo, getattr(info, "_raw_info", info))
    node_paths = [(*graph_path, "nodes"), *more]
    with_via = any("via" in selected_fields(raw, "ImpactNode", path) for path in node_paths)
    with_edges = "edges" in selected_fields(raw, "ImpactGraph", graph_path)
    ci_paths = [(*path, "ci") for path in node_paths]
    if with_edges:
        ci_paths += [(*graph_path, "edges", "fromCi"), (*graph_path, "edges", "toCi")]
    ci_type = configuration_item()
    fields = ci_type.row_fields
    columns = _union(fields.columns(info, path, also=("class_id",)) for path in ci_paths)
    ids = list(impact.reached)
    rows = impact.held(columns)
    if rows is None:
        rows = await info.context.loaders.get(CiByIdLoader).read_many(ids, columns)
    relationships: dict[uuid.UUID, CiRelationship] = {}
    downstream = query.direction is ImpactDirection.DOWNSTREAM

    def relationship(edge: Edge) -> CiRelationship:
        made = relationships.get(edge.id)
        if made is None:
            assert edge.type_id is not None
            type_ = types[edge.type_id]
            provider, dependent = (
                (edge.source, edge.target) if downstream else (edge.target, edge.source)
            )
            parent, child = (
                (dependent, provider)
                if type_.dependent_side is enums.DependentSide.PARENT
                else (provider, dependent)
            )
            made = relationships[edge.id] = CiRelationship(
                id=strawberry.ID(str(edge.id)),
                type=type_,
                parent_id=parent,
                child_id=child,
                row=None,
            )
        return made

    present = [
        (reached, row)
        for reached, row in zip(impact.reached.values(), rows, strict=True)
        if row is not None
    ]
    read = fields.read
    nodes = [
        ImpactNode(
            ci=read(row),
            distance=reached.distance,
            via=relationship(reached.via) if with_via and reached.via is not None else None,
        )
        for reached, row in present
    ]
    found = {row.id for _, row in present} if with_edges else set()
    edges = [
        ImpactEdge(relationship=relationship(edge), from_id=edge.source, to_id=edge.target)
        for edge in (impact.edges() if with_edges else ())
        if edge.source in found and edge.target in found
    ]
    return ImpactGraph(nodes=nodes, edges=edges), [row for _, row in present]


TypesArgument = Annotated[
    list[str] | None,
    strawberry.argument(description="Only relationships of these types (names); all if omitted."),
]
DepthArgument = Annotated[
    int,
    strawberry.argument(
        description=f"How many relationships away to follow, 0 to {MAX_DEPTH} (BAD_USER_INPUT "
        "beyond)."
    ),
]
RedundancyArgument = Annotated[
    bool,
    strawberry.argument(
        description="DOWNSTREAM: a CI that needs k of its n providers is impacted only when "
        "fewer than k remain unimpacted. Ignored UPSTREAM, which lists every candidate cause."
    ),
]


GRAPH_NEEDS: dict[str, tuple[str, ...]] = {"relationships": (), "impact": ()}
"""The columns CiGraphFields' fields read (the id alone), for ConfigurationItem's RowFields."""


@strawberry.type
class CiGraphFields:
    """The fields relationships and impact analysis add to `ConfigurationItem`."""

    id: strawberry.ID

    @strawberry.field(description="Its relationships, oldest first; parents before children.")
    async def relationships(
        self,
        info: strawberry.Info,
        direction: Annotated[
            RelationshipDirection,
            strawberry.argument(description="Where it is the child (PARENTS), the parent, both."),
        ] = RelationshipDirection.BOTH,
        types: TypesArgument = None,
    ) -> list[CiRelationship]:
        key = try_parse_id(self.id)
        loaders = info.context.loaders
        rows: list[Any] = []
        if direction is not RelationshipDirection.CHILDREN:
            rows += await loaders.get(RelationshipsByChildIdLoader).load(key)
        if direction is not RelationshipDirection.PARENTS:
            rows += await loaders.get(RelationshipsByParentIdLoader).load(key)
        known = await relationship_types(info)
        wanted = type_ids(known, types)
        return [
            CiRelationship.from_row(row, known[row.type_id])
            for row in rows
            if wanted is None or row.type_id in wanted
        ]

    @strawberry.field(
        description="What its failure reaches (DOWNSTREAM, the default: the CIs that depend on "
        "it) or what it depends on (UPSTREAM: what could have caused its failure), read in one "
        "statement whatever the graph's size; cycles are followed once."
    )
    async def impact(
        self,
        info: strawberry.Info,
        direction: Annotated[
            ImpactDirection, strawberry.argument(description="Which way to follow.")
        ] = ImpactDirection.DOWNSTREAM,
        depth: DepthArgument = DEFAULT_DEPTH,
        types: TypesArgument = None,
        redundancy_aware: RedundancyArgument = True,
    ) -> ImpactGraph:
        query, known = await impact_query(info, direction, depth, types, redundancy_aware)
        key = try_parse_id(self.id)
        assert key is not None, "a CI's id is a UUID"
        impact = await analysed(info, [key], query)
        graph, _ = await impact_graph(info, impact, query, known)
        return graph
