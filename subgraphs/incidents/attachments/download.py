"""`GET /incidents/attachments?token=...`: the files of incidents, to callers who may read
incidents (resolvers/attachments/download.py checks the link, the tenant and the
permission); a deleted incident's files are not served."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.attachments.download import download_route
from subgraphs.incidents import permissions, tables
from subgraphs.incidents.attachments.loaders import OWNER_TYPE
from subgraphs.incidents.attachments.types import DOWNLOAD_PATH


async def _incident_visible(session: AsyncSession, incident_id: uuid.UUID) -> bool:
    # The wall hides deleted incidents (policy live_rows) as well as other tenants'.
    found = await session.scalar(
        select(tables.Incident.id).where(tables.Incident.id == incident_id)
    )
    return found is not None


ROUTE = download_route(DOWNLOAD_PATH, OWNER_TYPE, permissions.VIEW, _incident_visible)
