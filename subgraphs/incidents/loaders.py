"""Batched reads of the incident tables, always within the request's tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from db.tables import incidents as tables
from resolvers.loaders import BatchLoader, many_per_key, one_per_key


class IncidentByIdLoader(BatchLoader[uuid.UUID, Any]):
    async def load_batch(self, keys: Sequence[uuid.UUID]) -> list[Any]:
        rows = await self.context.db.scalars(
            select(tables.Incident).where(
                tables.Incident.tenant_id == self.context.tenant_id,
                tables.Incident.id.in_(keys),
            )
        )
        return one_per_key(rows, keys, lambda r: r.id)


class IncidentByNumberLoader(BatchLoader[int, Any]):
    async def load_batch(self, keys: Sequence[int]) -> list[Any]:
        rows = await self.context.db.scalars(
            select(tables.Incident).where(
                tables.Incident.tenant_id == self.context.tenant_id,
                tables.Incident.number.in_(keys),
            )
        )
        return one_per_key(rows, keys, lambda r: r.number)


class CommentsByIncidentIdLoader(BatchLoader[uuid.UUID, list[Any]]):
    """Comments of each incident, oldest first."""

    async def load_batch(self, keys: Sequence[uuid.UUID]) -> list[list[Any]]:
        rows = await self.context.db.scalars(
            select(tables.IncidentComment)
            .where(
                tables.IncidentComment.tenant_id == self.context.tenant_id,
                tables.IncidentComment.incident_id.in_(keys),
            )
            .order_by(tables.IncidentComment.created_at, tables.IncidentComment.id)
        )
        return many_per_key(rows, keys, lambda r: r.incident_id)


class ChangesByIncidentIdLoader(BatchLoader[uuid.UUID, list[Any]]):
    """History of each incident, oldest first."""

    async def load_batch(self, keys: Sequence[uuid.UUID]) -> list[list[Any]]:
        rows = await self.context.db.scalars(
            select(tables.IncidentChange)
            .where(
                tables.IncidentChange.tenant_id == self.context.tenant_id,
                tables.IncidentChange.incident_id.in_(keys),
            )
            .order_by(tables.IncidentChange.created_at, tables.IncidentChange.id)
        )
        return many_per_key(rows, keys, lambda r: r.incident_id)
