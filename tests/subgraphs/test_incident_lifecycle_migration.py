"""incidents_0003 on a database with incidents: each existing row gets what its status now
needs, so the new check constraints hold."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from opsgraph.domains import REGISTRY
from tests.conftest import empty_database

STATUSES = ["OPEN", "IN_PROGRESS", "ON_HOLD", "RESOLVED", "CLOSED", "CANCELLED"]


async def _insert_incidents(url: str) -> uuid.UUID:
    conn = await asyncpg.connect(url)
    try:
        tenant = uuid.uuid4()
        await conn.execute(
            "INSERT INTO tenancy.tenants (id, slug, name) VALUES ($1, 'old', 'Old')", tenant
        )
        for number, status in enumerate(STATUSES, start=1):
            await conn.execute(
                "INSERT INTO incidents.incidents (tenant_id, number, title, status, priority, "
                "impact, urgency, source) VALUES ($1, $2, 'Old', $3, 2, 'MEDIUM', 'MEDIUM', "
                "'MANUAL')",
                tenant,
                number,
                status,
            )
        return tenant
    finally:
        await conn.close()


async def _lifecycle_columns(url: str, tenant: uuid.UUID) -> dict[str, tuple[object, ...]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT status, hold_reason, resolution_code, resolution_notes IS NOT NULL, "
            "cancel_reason IS NOT NULL, reopen_count FROM incidents.incidents "
            "WHERE tenant_id = $1",
            tenant,
        )
        return {row[0]: tuple(row)[1:] for row in rows}
    finally:
        await conn.close()


def test_existing_incidents_get_what_their_status_needs(server_url: str) -> None:
    for url in empty_database(server_url, "opsgraph_lifecycle_mig"):
        REGISTRY.migrations.upgrade(url, "incidents_0002")
        tenant = asyncio.run(_insert_incidents(url))

        REGISTRY.migrations.upgrade(url)

        assert asyncio.run(_lifecycle_columns(url, tenant)) == {
            "OPEN": (None, None, False, False, 0),
            "IN_PROGRESS": (None, None, False, False, 0),
            "ON_HOLD": ("AWAITING_VENDOR", None, False, False, 0),
            "RESOLVED": (None, "FIXED", True, False, 0),
            "CLOSED": (None, "FIXED", True, False, 0),
            "CANCELLED": (None, None, False, True, 0),
        }
