"""Relationship writes: the checks (not to itself, both CIs the tenant's and not retired, the
type known, the combination allowed by a rule on the classes or their superclasses, not a
duplicate), the row, and its outbox event — inside the caller's unit of work. No Strawberry.

A CI of another tenant is invisible behind the tenant wall, so it is NOT_FOUND exactly like
an id that names nothing: the answer never hints that it exists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import BadUserInput, Conflict, NotFound
from subgraphs.cmdb import rules, tables
from subgraphs.cmdb.classes import Catalogue, load_catalogue
from subgraphs.cmdb.enums import CiStatus
from subgraphs.cmdb.events import (
    RELATIONSHIP_ADDED,
    RELATIONSHIP_REMOVED,
    record_relationship_event,
)
from subgraphs.cmdb.service import text

CI = tables.ConfigurationItem
REL = tables.CiRelationship
TYPE = tables.RelationshipType
RULE = tables.RelationshipRule


@dataclass(frozen=True)
class NewRelationship:
    parent_id: uuid.UUID
    child_id: uuid.UUID
    type_name: str
    source: str | None = None


async def relationship_type(session: AsyncSession, tenant_id: uuid.UUID, name: str) -> Any:
    """The tenant's relationship type called `name`; BAD_USER_INPUT when there is none."""
    row = await session.scalar(select(TYPE).where(TYPE.tenant_id == tenant_id, TYPE.name == name))
    if row is None:
        raise BadUserInput(f"No relationship type named {name!r}", field="type")
    return row


def allowed(
    catalogue: Catalogue,
    allowed_pairs: set[tuple[uuid.UUID, uuid.UUID]],
    parent_class: uuid.UUID,
    child_class: uuid.UUID,
) -> bool:
    """Whether a rule (parent class, child class) of the type covers these classes: a rule
    on a class applies to its subclasses."""
    parents = [c.id for c in catalogue.lineage(parent_class)]
    children = [c.id for c in catalogue.lineage(child_class)]
    return any((p, c) in allowed_pairs for p in parents for c in children)


async def add_relationship(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    new: NewRelationship,
    catalogue: Catalogue | None = None,
) -> tuple[Any, Any]:
    """Check and insert `new`; returns the row and its type's row. BAD_USER_INPUT for a
    relationship to itself, an unknown type or a combination no rule allows; NOT_FOUND for
    a CI that is not the tenant's; CONFLICT for a retired CI or a duplicate."""
    if new.parent_id == new.child_id:
        raise BadUserInput("A configuration item cannot be related to itself", field="childId")
    source = text(new.source, "source", rules.SOURCE_MAX)
    ends = {
        row.id: row
        for row in await session.execute(
            select(CI.id, CI.name, CI.class_id, CI.status).where(
                CI.tenant_id == tenant_id, CI.id.in_([new.parent_id, new.child_id])
            )
        )
    }
    for argument, id in (("parentId", new.parent_id), ("childId", new.child_id)):
        end = ends.get(id)
        if end is None:
            raise NotFound(f"No configuration item with id {id}", field=argument)
        if CiStatus(end.status) in rules.FINAL:
            raise Conflict(f"Configuration item {end.name!r} is retired", field=argument)
    parent, child = ends[new.parent_id], ends[new.child_id]
    catalogue = catalogue or await load_catalogue(session, tenant_id)
    type_row = await relationship_type(session, tenant_id, new.type_name)
    pairs = {
        (row.parent_class_id, row.child_class_id)
        for row in await session.execute(
            select(RULE.parent_class_id, RULE.child_class_id).where(
                RULE.tenant_id == tenant_id, RULE.type_id == type_row.id
            )
        )
    }
    if not allowed(catalogue, pairs, parent.class_id, child.class_id):
        parent_class = catalogue.classes[parent.class_id].name
        child_class = catalogue.classes[child.class_id].name
        raise BadUserInput(
            f"A {parent_class} cannot be related to a {child_class} by "
            f"{type_row.name} ({type_row.parent_descriptor})",
            field="type",
        )
    row = await session.scalar(
        insert(REL)
        .values(
            tenant_id=tenant_id,
            parent_id=new.parent_id,
            child_id=new.child_id,
            type_id=type_row.id,
            source=source,
        )
        .on_conflict_do_nothing(constraint="uq_ci_relationships_edge")
        .returning(REL)
    )
    if row is None:
        raise Conflict(
            f"{parent.name!r} is already related to {child.name!r} by {type_row.name}",
            field="type",
        )
    _record(session, row, type_row, RELATIONSHIP_ADDED)
    return row, type_row


async def remove_relationship(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID
) -> tuple[Any, Any]:
    """Delete relationship `id`; returns its row and its type's row (NOT_FOUND if none)."""
    row = await session.scalar(
        delete(REL).where(REL.tenant_id == tenant_id, REL.id == id).returning(REL)
    )
    if row is None:
        raise NotFound(f"No relationship with id {id}", id=str(id))
    type_row = await session.get(TYPE, row.type_id)
    _record(session, row, type_row, RELATIONSHIP_REMOVED)
    return row, type_row


def _record(session: AsyncSession, row: Any, type_row: Any, kind: str) -> None:
    record_relationship_event(
        session,
        tenant_id=row.tenant_id,
        relationship_id=row.id,
        kind=kind,
        parent_id=row.parent_id,
        child_id=row.child_id,
        type_name=type_row.name,
        source=row.source,
    )


def described(row: Any, type_row: Any) -> dict[str, Any]:
    """A relationship's fields as the audit trail records them."""
    return {
        "parentId": str(row.parent_id),
        "childId": str(row.child_id),
        "type": type_row.name,
        "source": row.source,
    }
