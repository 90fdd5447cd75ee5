"""The incidents domain's `Incident` as the problems subgraph sees it: its key, and the
`problem` field this subgraph adds to it from its own links (an entity field, DESIGN.md
"Domains that need each other"); and the page of a problem's incidents, as stubs the router
fills in from the incidents subgraph. Declared as an extension (`extend type`): the incidents
subgraph defines the type and says which ids exist (router/references.py asks it, never this
subgraph, which answers for any id)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import strawberry
from sqlalchemy import ColumnElement, func

from resolvers.ids import try_parse_id
from resolvers.pagination import (
    Connection,
    Edge,
    PageRequest,
    Pagination,
    SortOrder,
    build_connection,
    page_per_key,
)
from resolvers.permissions import requires
from resolvers.references import by_ids
from subgraphs.problems import permissions, tables
from subgraphs.problems.inputs import LinkedIncidentFilter
from subgraphs.problems.loaders import (
    IncidentCountsByProblemIdLoader,
    IncidentPagesByProblemIdLoader,
    ProblemByIncidentIdLoader,
    linked_incidents,
)
from subgraphs.problems.types import Problem


@strawberry.federation.type(keys=["id"], extend=True)
class Incident:
    """An incident of the incidents domain (which describes it), with its problem."""

    id: strawberry.ID

    @classmethod
    async def resolve_references(
        cls, info: strawberry.Info, representations: Sequence[Mapping[str, Any]]
    ) -> list[Incident]:
        """Every id as given: whether the incident exists is the incidents subgraph's to say;
        here it only has a problem, or none."""
        return by_ids(cls, [str(r.get("id")) for r in representations])

    @strawberry.field(
        description="The problem the incident is linked to (its cause), if any.",
        extensions=requires(permissions.VIEW),
    )
    async def problem(self, info: strawberry.Info) -> Problem | None:
        key = try_parse_id(self.id)
        if key is None:
            return None
        loader = info.context.loaders.get(ProblemByIncidentIdLoader)
        row = await loader.load(key, Problem.row_fields.columns(info))
        return Problem.from_row(row) if row is not None else None


@strawberry.type(name="LinkedIncidentEdge", description="A linked incident with its cursor.")
class LinkedIncidentEdge(Edge[Incident]):
    pass


@strawberry.type(name="LinkedIncidentConnection", description="A page of a problem's incidents.")
class LinkedIncidentConnection(Connection[Incident]):
    edges: list[LinkedIncidentEdge] = strawberry.field(  # type: ignore[assignment]
        description="The incidents of this page, in order."
    )


Link = tables.ProblemIncident
Fact = tables.IncidentFact
# Most recently linked first; the link's own id breaks ties.
ORDER = SortOrder(name="LINKED_AT:DESC", columns=(Link.created_at, Link.id), descending=True)


def _matching(columns: Sequence[Any], f: LinkedIncidentFilter | None) -> Any:
    query = linked_incidents(*columns)
    if f is not None and f.status:
        query = query.where(Fact.status.in_([status.value for status in f.status]))
    return query


def _stub(row: Any) -> Incident:
    return Incident(id=strawberry.ID(str(row.incident_id)))


async def incidents_of_problem(
    info: strawberry.Info,
    key: uuid.UUID | None,
    filter: LinkedIncidentFilter | None,
    pagination: Pagination | None,
) -> LinkedIncidentConnection:
    page = PageRequest.from_input(pagination)
    loaders = info.context.loaders
    # Equal arguments give equal statements: one signature, one batch for every problem.
    signature = repr((filter, page))
    if key is None:
        rows: list[Any] = []
    else:
        matching = _matching([Link.incident_id, Link.created_at, Link.id], filter)
        problem_id: ColumnElement[Any] = matching.selected_columns.problem_id
        statement = page_per_key(matching, problem_id, ORDER, page)
        loader = loaders.get(IncidentPagesByProblemIdLoader)
        rows = await loader.load_with(key, signature, statement)

    async def count() -> int:
        if key is None:
            return 0
        counted = _matching([func.count()], filter).group_by(Link.problem_id)
        counts = loaders.get(IncidentCountsByProblemIdLoader)
        return int(await counts.load_with(key, repr(filter), counted))

    # The page is a Connection; LinkedIncidentConnection only names its GraphQL type apart
    # from the incidents subgraph's IncidentConnection (same fields, not shareable).
    return build_connection(rows, ORDER, page, _stub, count)  # type: ignore[return-value]
