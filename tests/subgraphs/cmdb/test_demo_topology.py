"""The demo tenant's CMDB: a topology whose every CI passes its class's validation and whose
every relationship the rules allow, seeded with the other domains' demo data."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from sqlalchemy import select

from db.tables import tenancy
from opsgraph.seed import seed_demo
from subgraphs.cmdb import tables
from subgraphs.cmdb.classes import read_catalogue
from subgraphs.cmdb.seed import topology


async def test_the_demo_topology_is_valid_and_believable(owner_sessions: Any) -> None:
    slug = f"demo-{uuid.uuid4().hex[:8]}"
    async with owner_sessions() as session, session.begin():
        assert await seed_demo(session, slug=slug, scale=3)
        tenant_id = await session.scalar(
            select(tenancy.Tenant.id).where(tenancy.Tenant.slug == slug)
        )
        assert tenant_id is not None
        catalogue = await read_catalogue(session, tenant_id)
        ci = tables.ConfigurationItem
        rows = (await session.execute(select(ci).where(ci.tenant_id == tenant_id))).scalars().all()
        rel = tables.CiRelationship
        edges = (await session.execute(select(rel).where(rel.tenant_id == tenant_id))).scalars()
        rule = tables.RelationshipRule
        rules = {
            (r.parent_class_id, r.type_id, r.child_class_id)
            for r in (await session.execute(select(rule).where(rule.tenant_id == tenant_id)))
            .scalars()
            .all()
        }
        edges = list(edges)
    for row in rows:
        catalogue.schema(row.class_id).check(row.attributes)  # raises naming what is wrong
    class_of = {row.id: row.class_id for row in rows}

    def allowed(parent: uuid.UUID, type_id: uuid.UUID, child: uuid.UUID) -> bool:
        return any(
            (p.id, type_id, c.id) in rules
            for p in catalogue.lineage(class_of[parent])
            for c in catalogue.lineage(class_of[child])
        )

    assert all(allowed(e.parent_id, e.type_id, e.child_id) for e in edges)
    names = Counter(catalogue.classes[row.class_id].name for row in rows)
    assert names["BusinessService"] == 3
    assert 35 <= names["Server"] + names["VirtualMachine"] <= 45
    assert any(row.redundancy_required for row in rows)
    assert len(rows) == len(topology().cis) and len(edges) == len(topology().edges)
    assert all(row.support_team_id is not None and row.owner_id is not None for row in rows)
