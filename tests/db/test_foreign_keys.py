"""Every foreign key of the migrated schema leads some index of its table, so PostgreSQL
checks a delete (or key change) of the referred row through that index: without one, each
check scans a whole index or table — deleting one CI checked 345,000 relationships twice,
10 ms (migration cmdb_0006). And the CMDB's references are walled in the
database: a CI, an attribute, a rule or a relationship cannot name another tenant's class,
relationship type or CI (a CI's history, `ci_changes`, still names its CI by id alone)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.tenants import create_tenant
from subgraphs.cmdb import tables as cmdb
from subgraphs.cmdb.catalogue import builtin_id, ensure_builtin_classes

# Foreign keys no index of their table leads with (in any order of those columns).
UNINDEXED = text(
    """
SELECT c.conrelid::regclass::text AS "table", c.conname AS name
FROM pg_constraint c
JOIN pg_namespace n ON n.oid = c.connamespace
WHERE c.contype = 'f' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND NOT EXISTS (
    SELECT FROM pg_index i
    WHERE i.indrelid = c.conrelid
      AND i.indnkeyatts >= cardinality(c.conkey)
      AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
  )
ORDER BY 1, 2
"""
)


async def test_every_foreign_key_leads_an_index(owner_engine: AsyncEngine) -> None:
    async with owner_engine.connect() as connection:
        unindexed = (await connection.execute(UNINDEXED)).all()
    assert unindexed == []


async def test_the_query_finds_an_unindexed_foreign_key(owner_engine: AsyncEngine) -> None:
    """The check above can fail: a foreign key made without its index is found."""
    probe = f"fk_probe_{uuid.uuid4().hex[:8]}"
    async with owner_engine.connect() as connection, connection.begin() as transaction:
        await connection.execute(
            text(f"CREATE TABLE public.{probe} (class_id uuid REFERENCES cmdb.ci_classes (id))")
        )
        found = (await connection.execute(UNINDEXED)).all()
        await transaction.rollback()  # DDL included: the table was never there
    assert [row.name for row in found] == [f"{probe}_class_id_fkey"]


@pytest.fixture
async def two_tenants(owner_sessions: async_sessionmaker[AsyncSession]) -> tuple[uuid.UUID, ...]:
    made = []
    async with owner_sessions() as session, session.begin():
        for _ in range(2):
            slug = f"fk-{uuid.uuid4().hex[:10]}"
            tenant = await create_tenant(session, slug, slug)
            await ensure_builtin_classes(session, tenant)
            made.append(tenant)
    return tuple(made)


def _ci(tenant: uuid.UUID, class_tenant: uuid.UUID) -> dict[str, Any]:
    return {
        "tenant_id": tenant,
        "class_id": builtin_id(class_tenant, "class", "Server"),
        "name": f"ci-{uuid.uuid4().hex[:8]}",
        "status": "IN_SERVICE",
        "environment": "PRODUCTION",
        "criticality": 3,
    }


async def test_a_ci_cannot_be_of_another_tenants_class(
    owner_sessions: async_sessionmaker[AsyncSession], two_tenants: tuple[uuid.UUID, ...]
) -> None:
    mine, theirs = two_tenants
    async with owner_sessions() as session, session.begin():
        await session.execute(insert(cmdb.ConfigurationItem).values(_ci(mine, mine)))
    with pytest.raises(IntegrityError, match="fk_configuration_items_class_id_ci_classes"):
        async with owner_sessions() as session, session.begin():
            await session.execute(insert(cmdb.ConfigurationItem).values(_ci(mine, theirs)))


async def test_a_rule_cannot_name_another_tenants_type(
    owner_sessions: async_sessionmaker[AsyncSession], two_tenants: tuple[uuid.UUID, ...]
) -> None:
    mine, theirs = two_tenants
    rule = {
        "tenant_id": mine,
        "parent_class_id": builtin_id(mine, "class", "Application"),
        "type_id": builtin_id(theirs, "relationship-type", "DEPENDS_ON"),
        "child_class_id": builtin_id(mine, "class", "Database"),
    }
    with pytest.raises(IntegrityError, match="fk_relationship_rules_type_id_relationship_types"):
        async with owner_sessions() as session, session.begin():
            await session.execute(insert(cmdb.RelationshipRule).values(rule))
