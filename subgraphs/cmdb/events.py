"""Events the CMDB writes to the outbox, one per committed change of a CI or relationship."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.outbox import record_event
from subgraphs.cmdb.enums import CiChangeKind

DOMAIN = "cmdb"  # the subgraph owning the entities (caches key on it)
CI_ENTITY = "ConfigurationItem"
RELATIONSHIP_ENTITY = "CiRelationship"

EVENT_KIND: dict[CiChangeKind, str] = {
    CiChangeKind.CREATED: "ci.created",
    CiChangeKind.UPDATED: "ci.updated",
    CiChangeKind.RETIRED: "ci.retired",
}
CI_DELETED = "ci.deleted"
RELATIONSHIP_ADDED = "relationship.added"
RELATIONSHIP_REMOVED = "relationship.removed"
EVENT_KINDS = frozenset(
    {*EVENT_KIND.values(), CI_DELETED, RELATIONSHIP_ADDED, RELATIONSHIP_REMOVED}
)


def record_ci_event(session: AsyncSession, row: Any, kind: str, changes: dict[str, Any]) -> None:
    """`kind` (one of EVENT_KIND's, or CI_DELETED) of the CI `row`. Every CI event names
    the CI as it is after the change (`name`, `externalId`, `status`), so a consumer keeping
    a read model of CIs (the incidents domain's alert → CI mapping) needs no other event."""
    record_event(
        session,
        tenant_id=row.tenant_id,
        domain=DOMAIN,
        kind=kind,
        entity_type=CI_ENTITY,
        entity_id=row.id,
        payload={
            "id": str(row.id),
            "name": row.name,
            "externalId": row.external_id,
            "status": row.status,
            "changes": changes,
        },
    )


def record_relationship_event(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    relationship_id: uuid.UUID,
    kind: str,
    parent_id: uuid.UUID,
    child_id: uuid.UUID,
    type_name: str,
    source: str | None,
) -> None:
    """RELATIONSHIP_ADDED or RELATIONSHIP_REMOVED; the payload says which CIs it joins (a
    removed relationship cannot be read back)."""
    record_event(
        session,
        tenant_id=tenant_id,
        domain=DOMAIN,
        kind=kind,
        entity_type=RELATIONSHIP_ENTITY,
        entity_id=relationship_id,
        payload={
            "id": str(relationship_id),
            "parentId": str(parent_id),
            "childId": str(child_id),
            "type": type_name,
            "source": source,
        },
    )
