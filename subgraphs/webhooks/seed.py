"""The webhook domain's demo data: one webhook for critical and high-priority incident
changes, inactive (the demo never sends anything out of the machine), owned by the demo's
first user, the admin (`demo.entities["User"]`), who may see every domain's events but no
personal data."""

from __future__ import annotations

import base64
import uuid

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.domain import DemoTenant
from subgraphs.webhooks import catalogue, tables


async def seed(session: AsyncSession, demo: DemoTenant) -> None:
    owner = demo.entities.get("User", [{}])[0].get("id")
    secret = base64.b64encode(demo.random.getrandbits(256).to_bytes(32, "big")).decode()
    views = {
        permission for permission in catalogue.current().view_permission.values() if permission
    }
    await session.execute(
        insert(tables.Webhook).values(
            id=uuid.UUID(int=demo.random.getrandbits(128)),
            tenant_id=demo.tenant_id,
            url="https://hooks.example.com/opsgraph/incidents",
            events=["incident.created", "incident.status_changed"],
            conditions=[{"field": "status", "in": ["OPEN", "IN_PROGRESS"]}],
            secret=f"whsec_{secret}",
            active=False,
            owner_id=owner,
            owner_permissions=sorted(views),
            disabled_reason="demo: activate it with a URL of your own (updateWebhook)",
        )
    )
