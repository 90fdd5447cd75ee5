"""Demo data: a believable service desk, so the first query in GraphiQL shows something real.

Each domain seeds its part (its manifest's `seed`), in registry order, into one new tenant.
Deterministic (one seeded random sequence), written with bulk INSERTs, and idempotent: a
tenant that already exists is left alone."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import tenancy
from db.tenants import create_tenant
from opsgraph.domains import REGISTRY, Registry
from resolvers.domain import DemoTenant


async def seed_demo(
    session: AsyncSession,
    *,
    slug: str = "demo",
    scale: int = 300,
    seed: int = 42,
    now: datetime | None = None,
    registry: Registry = REGISTRY,
) -> bool:
    """Create the demo tenant with every registered domain's demo data (`scale` sizes it,
    each domain reads it as it sees fit). False if the tenant exists."""
    if await session.scalar(select(tenancy.Tenant.id).where(tenancy.Tenant.slug == slug)):
        return False
    demo = DemoTenant(
        tenant_id=await create_tenant(session, slug, "Demo Corp"),
        # deterministic per tenant, distinct ids across tenants
        random=random.Random(f"{seed}:{slug}"),
        now=now or datetime.now(UTC),
        scale=scale,
    )
    for domain in registry.domains:
        if domain.seed is not None:
            await domain.seed(session, demo)
    return True
