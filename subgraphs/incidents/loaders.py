"""Batched reads of the incident tables, always within the request's tenant."""

from __future__ import annotations

import uuid

from resolvers.loaders import (
    FirstRowsByKeyLoader,
    LastRowsByKeyLoader,
    RowByKeyLoader,
    RowsByKeyLoader,
)
from subgraphs.incidents import tables


class IncidentByIdLoader(RowByKeyLoader[uuid.UUID]):
    table = tables.Incident


class IncidentByNumberLoader(RowByKeyLoader[int]):
    table = tables.Incident
    key = "number"


class CommentsByIncidentIdLoader(RowsByKeyLoader[uuid.UUID]):
    """Comments of each incident, oldest first."""

    table = tables.IncidentComment
    key = "incident_id"


class FirstCommentsByIncidentIdLoader(FirstRowsByKeyLoader[uuid.UUID]):
    """The oldest `n` comments of each incident, oldest first, for keys (incident id, n)."""

    table = tables.IncidentComment
    key = "incident_id"


class LastCommentsByIncidentIdLoader(LastRowsByKeyLoader[uuid.UUID]):
    """The newest `n` comments of each incident, oldest first, for keys (incident id, n)."""

    table = tables.IncidentComment
    key = "incident_id"


class ChangesByIncidentIdLoader(RowsByKeyLoader[uuid.UUID]):
    """History of each incident, oldest first."""

    table = tables.IncidentChange
    key = "incident_id"
