"""`opsgraph verify`: stored references that name nothing, and their repair.

Every id a domain stores for another domain's entity is checked on the way in (through the
router's entity fetch, `resolvers.references.require_references`). Rows written before that
check existed may hold an id of another tenant, or of nobody: every later read of them fails.
This finds them the same way — each domain's declared columns (its manifest's `references`),
the distinct ids per tenant, asked of the owning subgraph as the
tenant's admin — and with `repair` clears them (a nullable column) or deletes the rows (a
link table's column: the link names nothing)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.tables import tenancy
from opsgraph.domains import REGISTRY, Registry
from resolvers.context import Context
from resolvers.references import EntityPresence

BATCH = 500  # ids per entity fetch


@dataclass(frozen=True)
class Dangling:
    """Rows of one column in one tenant whose id names no `type_name` of that tenant."""

    tenant: str
    column: str
    type_name: str
    id: uuid.UUID
    rows: int


async def find_dangling(
    owner_sessions: async_sessionmaker[AsyncSession],
    sessions: async_sessionmaker[AsyncSession],
    presence: EntityPresence,
    *,
    tenant: str | None = None,
    repair: bool = False,
    registry: Registry = REGISTRY,
) -> list[Dangling]:
    """Every dangling stored reference of every tenant (or of the one whose slug is
    `tenant`); cleared too when `repair`."""
    found: list[Dangling] = []
    query = select(tenancy.Tenant.id, tenancy.Tenant.slug)
    if tenant is not None:
        query = query.where(tenancy.Tenant.slug == tenant)
    async with owner_sessions() as session:
        tenants = (await session.execute(query)).all()
    for tenant_id, slug in tenants:
        for type_name, column in registry.stored_references():
            table = column.class_
            async with owner_sessions() as session:
                rows = await session.execute(
                    select(column, func.count())
                    .where(table.tenant_id == tenant_id, column.is_not(None))
                    .group_by(column)
                )
                counts: dict[uuid.UUID, int] = {row[0]: row[1] for row in rows}
            missing = await _missing(
                sessions, presence, registry, tenant_id, type_name, list(counts)
            )
            found += [
                Dangling(slug, f"{table.__tablename__}.{column.key}", type_name, id, counts[id])
                for id in missing
            ]
            if repair and missing:
                dangling = (table.tenant_id == tenant_id, column.in_(missing))
                repair_statement = (
                    update(table).where(*dangling).values({column.key: None})
                    if column.nullable
                    else delete(table).where(*dangling)
                )
                async with owner_sessions() as session, session.begin():
                    await session.execute(repair_statement)
    return found


async def _missing(
    sessions: async_sessionmaker[AsyncSession],
    presence: EntityPresence,
    registry: Registry,
    tenant_id: uuid.UUID,
    type_name: str,
    ids: list[uuid.UUID],
) -> list[uuid.UUID]:
    admin = registry.roles.principal(tenant_id, frozenset({"admin"}), authenticated=True)
    missing: list[uuid.UUID] = []
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        context = Context.open(sessions, principal=admin)
        try:
            answer = await presence(type_name, [str(id) for id in batch], context)
        finally:
            await context.close()
        if answer.exists is None:
            raise RuntimeError(f"cannot check {type_name} ids: {answer.errors}")
        missing += [id for id, exists in zip(batch, answer.exists, strict=True) if not exists]
    return missing
