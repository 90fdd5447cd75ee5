"""What problem mutations share: the ids they are given (parsed, and checked with the
domains that own them before anything is written) and, after their unit of work, the
request's loaders refreshed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import strawberry

from resolvers.ids import parse_id
from resolvers.references import require_references
from subgraphs.problems.loaders import (
    AffectedCisByProblemIdLoader,
    ChangesByProblemIdLoader,
    CommentsByProblemIdLoader,
    ProblemByIdLoader,
    ProblemByIncidentIdLoader,
    ProblemByNumberLoader,
)
from subgraphs.problems.types import Problem


def changed(info: strawberry.Info, row: Any, incident_ids: Sequence[uuid.UUID] = ()) -> Problem:
    """The problem as the mutation left it; loaders of this request forget older reads
    (of it, and of the incidents whose link changed)."""
    loaders = info.context.loaders
    loaders.get(ProblemByIdLoader).clear(row.id).prime(row.id, row)
    loaders.get(ProblemByNumberLoader).clear(row.number).prime(row.number, row)
    loaders.get(CommentsByProblemIdLoader).clear(row.id)
    loaders.get(ChangesByProblemIdLoader).clear(row.id)
    loaders.get(AffectedCisByProblemIdLoader).clear(row.id)
    by_incident = loaders.get(ProblemByIncidentIdLoader)
    for incident in incident_ids:
        by_incident.clear(incident)
    return Problem.from_row(row)


def optional_id(value: strawberry.ID | None, argument: str) -> uuid.UUID | None:
    return parse_id(value, argument) if value is not None else None


async def require_cis(info: strawberry.Info, named: dict[str, uuid.UUID | None]) -> None:
    """NOT_FOUND naming the argument when an id names no configuration item of the tenant
    (one entity fetch to the cmdb subgraph for all of them)."""
    await require_references(info, "ConfigurationItem", named)


async def require_incidents(
    info: strawberry.Info, incident_ids: Sequence[uuid.UUID], argument: str
) -> None:
    """NOT_FOUND naming the argument when an id names no incident of the tenant the caller
    may see (one entity fetch to the incidents subgraph for all of them)."""
    named = {f"{argument}[{index}]": id for index, id in enumerate(incident_ids)}
    await require_references(info, "Incident", named)
