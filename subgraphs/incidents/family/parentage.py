"""Setting and clearing an incident's parent, with the family's shape kept: one level only
(a child cannot have children, a parent cannot become a child), so no incident is ever its
own ancestor. No Strawberry here.

Errors: naming the incident itself as its parent is BAD_USER_INPUT (the input is wrong
whatever the data); everything that depends on the incidents' current state — the parent is
a child, the incident has children, either is closed or cancelled, a cycle — is CONFLICT,
with `extensions.field = "parentId"`."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.changes import Changes, Diff
from resolvers.errors import BadUserInput, Conflict
from subgraphs.incidents import rules, service, tables
from subgraphs.incidents.enums import ChangeKind, IncidentStatus
from subgraphs.incidents.family.locks import lock


async def set_parent(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    parent_id: uuid.UUID | None,
    actor: uuid.UUID | None,
) -> tuple[Any, Changes]:
    """Make `parent_id` the incident's parent (None: it has none); answers its row and the
    changed fields (empty when it already was)."""
    if parent_id == id:
        raise BadUserInput("An incident cannot be its own parent", field="parentId")
    current = await session.scalar(
        select(tables.Incident.parent_id).where(
            tables.Incident.tenant_id == tenant_id, tables.Incident.id == id
        )
    )
    parents: list[tuple[uuid.UUID, str | None]] = [(p, "parentId") for p in (parent_id,) if p]
    if current is not None:
        parents.append((current, None))
    # Parents first (old and new, in id order), then the incident: cascade.py's order.
    rows = await lock(session, tenant_id, [parents, [(id, "id")]])
    row = rows[id]
    if row.parent_id != current:  # moved between the read and the lock: start again
        return await set_parent(session, tenant_id, id, parent_id, actor)
    if row.parent_id == parent_id:
        return row, {}
    if IncidentStatus(row.status) in rules.FINAL:
        raise Conflict(f"A {row.status} incident cannot be changed", field="id")
    if parent_id is not None:
        await _check_parent(session, tenant_id, row, rows[parent_id])
    diff = Diff()
    diff.set(row, "parent_id", parent_id, "parentId")
    await session.flush()
    await session.refresh(row)
    service.record_change(session, row, ChangeKind.PARENT_CHANGED, diff, actor)
    return row, diff.fields


async def _check_parent(session: AsyncSession, tenant_id: uuid.UUID, row: Any, parent: Any) -> None:
    number = rules.format_number(parent.number)
    if await _is_ancestor(session, tenant_id, row.id, parent):
        raise Conflict(
            f"{number} descends from this incident: it would be its own ancestor",
            field="parentId",
        )
    if parent.parent_id is not None:
        raise Conflict(
            f"{number} is itself a child incident: a child cannot have children",
            field="parentId",
        )
    if IncidentStatus(parent.status) in rules.FINAL:
        raise Conflict(f"{number} is {parent.status}: it cannot take children", field="parentId")
    child = tables.Incident
    has_children = await session.scalar(
        select(exists().where(child.tenant_id == tenant_id, child.parent_id == row.id))
    )
    if has_children:
        raise Conflict(
            "The incident has children: a parent cannot become a child", field="parentId"
        )


async def _is_ancestor(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID, parent: Any
) -> bool:
    """Whether `id` is `parent` or one of its ancestors (walked in the database: rows made
    before these rules, or by the alert receiver, are followed too, however deep)."""
    incident = tables.Incident
    chain = (
        select(incident.id, incident.parent_id)
        .where(incident.tenant_id == tenant_id, incident.id == parent.id)
        .cte("chain", recursive=True)
    )
    up = incident.__table__.alias("up")
    chain = chain.union(
        select(up.c.id, up.c.parent_id).where(
            up.c.tenant_id == tenant_id, up.c.id == chain.c.parent_id
        )
    )
    return bool(await session.scalar(select(exists().where(chain.c.id == id))))
