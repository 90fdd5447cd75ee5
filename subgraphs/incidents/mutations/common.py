"""What incident mutations share: the configuration items they name, checked with the CMDB
before anything is written, and, after their unit of work, the request's loaders refreshed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import strawberry

from resolvers.references import require_references
from subgraphs.incidents.loaders import (
    AffectedCisByIncidentIdLoader,
    ChangesByIncidentIdLoader,
    CommentsByIncidentIdLoader,
    IncidentByIdLoader,
    IncidentByNumberLoader,
    PublicCommentsByIncidentIdLoader,
)
from subgraphs.incidents.types import Incident


def changed(info: strawberry.Info, row: Any) -> Incident:
    """The incident as the mutation left it; loaders of this request forget older reads."""
    loaders = info.context.loaders
    loaders.get(IncidentByIdLoader).clear(row.id).prime(row.id, row)
    loaders.get(IncidentByNumberLoader).clear(row.number).prime(row.number, row)
    loaders.get(CommentsByIncidentIdLoader).clear(row.id)
    loaders.get(PublicCommentsByIncidentIdLoader).clear(row.id)
    loaders.get(ChangesByIncidentIdLoader).clear(row.id)
    loaders.get(AffectedCisByIncidentIdLoader).clear(row.id)
    return Incident.from_row(row)


async def require_cis(
    info: strawberry.Info, ci_id: uuid.UUID | None, affected: Sequence[uuid.UUID]
) -> None:
    """NOT_FOUND naming the argument when an id names no configuration item of the tenant
    (one entity fetch to the cmdb subgraph for all of them)."""
    named = {"input.ciId": ci_id}
    named.update((f"input.affectedCiIds[{index}]", id) for index, id in enumerate(affected))
    await require_references(info, "ConfigurationItem", named)
