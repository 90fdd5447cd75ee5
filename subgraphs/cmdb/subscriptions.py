"""Subscription root of the CMDB subgraph: live CI and relationship changes.

The incidents' machinery (resolvers/events.py): the tenant's committed events in order,
resumable with `after`, each CI read afresh through the subscriber's own database scope and
matched against its filter as it is after the change. A relationship event is delivered with
its parent CI, or its child when only the child matches the filter. A deleted CI can no longer
be shown or matched: its deletion is not delivered."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from sqlalchemy import select

from resolvers.events import Event, RowMatcher, live_events, resume_position
from resolvers.permissions import requires
from subgraphs.cmdb import permissions
from subgraphs.cmdb.enums import CiEventKind
from subgraphs.cmdb.events import (
    CI_ENTITY,
    EVENT_KIND,
    RELATIONSHIP_ADDED,
    RELATIONSHIP_ENTITY,
    RELATIONSHIP_REMOVED,
)
from subgraphs.cmdb.filters import Row, filtered
from subgraphs.cmdb.inputs import CiFilter
from subgraphs.cmdb.types import ConfigurationItem

EVENT_KINDS: dict[str, CiEventKind] = {
    **{kind: CiEventKind(change.value) for change, kind in EVENT_KIND.items()},
    RELATIONSHIP_ADDED: CiEventKind.RELATIONSHIP_ADDED,
    RELATIONSHIP_REMOVED: CiEventKind.RELATIONSHIP_REMOVED,
}


@strawberry.type(description="The relationship a RELATIONSHIP_ADDED/REMOVED event is about.")
class CiEventRelationship:
    id: strawberry.ID = strawberry.field(description="The relationship's id.")
    parent_id: strawberry.ID = strawberry.field(description="Its parent CI.")
    child_id: strawberry.ID = strawberry.field(description="Its child CI.")
    type: str = strawberry.field(description="Its type's name, e.g. RUNS_ON.")


@strawberry.type(description="A committed change in the CMDB, in the order changes commit.")
class CiEvent:
    id: strawberry.ID = strawberry.field(
        description="Position in the event sequence; pass it as `after` to resume after it."
    )
    kind: CiEventKind = strawberry.field(description="What kind of change this was.")
    occurred_at: datetime = strawberry.field(description="When the change was made.")
    configuration_item: ConfigurationItem = strawberry.field(
        description="The CI as it is now (for a relationship: its parent, or its child when "
        "only the child matches the filter)."
    )
    changed_fields: list[str] = strawberry.field(
        description="The CI's fields the change set (attributes as attributes.<name>)."
    )
    relationship: CiEventRelationship | None = strawberry.field(
        description="For a relationship event: the relationship."
    )


def _rows_of(event: Event) -> list[uuid.UUID]:
    """The CIs an event is about, in order of preference."""
    if event.kind not in EVENT_KINDS:
        return []
    if event.entity_type == CI_ENTITY:
        return [event.entity_id]
    if event.entity_type == RELATIONSHIP_ENTITY:
        return [uuid.UUID(event.payload["parentId"]), uuid.UUID(event.payload["childId"])]
    return []


def _relationship(event: Event) -> CiEventRelationship | None:
    if event.entity_type != RELATIONSHIP_ENTITY:
        return None
    payload = event.payload
    return CiEventRelationship(
        id=strawberry.ID(str(event.entity_id)),
        parent_id=strawberry.ID(payload["parentId"]),
        child_id=strawberry.ID(payload["childId"]),
        type=payload["type"],
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "Every create, update and retirement of the CIs that match the filter, and every "
            "relationship added to or removed from them. Resume after a disconnect with "
            "`after` = the last event id: missed events arrive first, in order "
            "(RESYNC_REQUIRED when they are older than the retention window)."
        ),
        extensions=requires(permissions.VIEW),
    )
    async def ci_events(
        self,
        info: strawberry.Info,
        filter: CiFilter | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[CiEvent, None]:
        tenant_id = info.context.tenant_id
        # Built now, so a bad filter fails the subscription before it starts.
        query = filtered(select(Row.__table__).where(Row.tenant_id == tenant_id), tenant_id, filter)
        matcher = RowMatcher(info, query, Row.id, _rows_of)
        async for event, row in live_events(
            info, permissions.VIEW, resume_position(after), matcher
        ):
            yield CiEvent(
                id=strawberry.ID(str(event.seq)),
                kind=EVENT_KINDS[event.kind],
                occurred_at=event.occurred_at,
                configuration_item=ConfigurationItem.from_row(row),
                changed_fields=sorted(event.payload.get("changes") or ()),
                relationship=_relationship(event),
            )
