"""What every incident mutation does after its unit of work: refresh the request's loaders."""

from __future__ import annotations

from typing import Any

import strawberry

from subgraphs.incidents.loaders import (
    ChangesByIncidentIdLoader,
    CommentsByIncidentIdLoader,
    IncidentByIdLoader,
    IncidentByNumberLoader,
)
from subgraphs.incidents.types import Incident


def changed(info: strawberry.Info, row: Any) -> Incident:
    """The incident as the mutation left it; loaders of this request forget older reads."""
    loaders = info.context.loaders
    loaders.get(IncidentByIdLoader).clear(row.id).prime(row.id, row)
    loaders.get(IncidentByNumberLoader).clear(row.number).prime(row.number, row)
    loaders.get(CommentsByIncidentIdLoader).clear(row.id)
    loaders.get(ChangesByIncidentIdLoader).clear(row.id)
    return Incident.from_row(row)
