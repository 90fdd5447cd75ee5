"""Finding and creating tenants (the rows every other row belongs to)."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import tenancy


async def find_tenant_id(session: AsyncSession, reference: str) -> uuid.UUID | None:
    """The id of the tenant whose slug (or id) is `reference`, or None."""
    try:
        as_id: uuid.UUID | None = uuid.UUID(reference)
    except ValueError:
        as_id = None
    condition = tenancy.Tenant.slug == reference
    if as_id is not None:
        condition = or_(condition, tenancy.Tenant.id == as_id)
    return await session.scalar(select(tenancy.Tenant.id).where(condition))


async def create_tenant(session: AsyncSession, slug: str, name: str) -> uuid.UUID:
    tenant = tenancy.Tenant(slug=slug, name=name)
    session.add(tenant)
    await session.flush()
    return tenant.id
