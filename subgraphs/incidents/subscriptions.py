"""Subscription root of the incidents subgraph: live incident changes for NOC wallboards.

Every subscription follows the tenant's committed events (resolvers/events.py) and reloads
the incident through the subscriber's own database scope for each event: the tenant wall,
the subscriber's permission and the filter are applied to what is current, and an incident
the subscriber may not see (or that does not match) produces nothing. A filter is matched
against the incident as it is after the change."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from sqlalchemy import select

from resolvers.errors import NotFound
from resolvers.events import Event, RowMatcher, live_events, resume_position
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.incidents import bulk_api, counts, enums, permissions
from subgraphs.incidents.events import EVENT_KIND
from subgraphs.incidents.inputs import IncidentFilter
from subgraphs.incidents.queries import Row, filtered
from subgraphs.incidents.types import Incident

CHANGE_KIND = {kind: change for change, kind in EVENT_KIND.items()}


@strawberry.type(description="A committed change to an incident, in the order changes commit.")
class IncidentEvent:
    id: strawberry.ID = strawberry.field(
        description="Position in the event sequence; pass it as `after` to resume after it."
    )
    kind: enums.ChangeKind = strawberry.field(description="What kind of change this was.")
    occurred_at: datetime = strawberry.field(description="When the change was made.")
    incident: Incident = strawberry.field(description="The incident as it is now.")
    changed_fields: list[str] = strawberry.field(
        description="The incident's fields the change set (empty for a comment)."
    )


class Matcher(RowMatcher):
    """Loads an event's incident if it still matches what the subscriber asked for."""

    def __init__(
        self,
        info: strawberry.Info,
        filter: IncidentFilter | None,
        kinds: frozenset[enums.ChangeKind] | None = None,
        incident_id: uuid.UUID | None = None,
    ) -> None:
        def rows_of(event: Event) -> list[uuid.UUID]:
            kind = CHANGE_KIND.get(event.kind)
            if event.entity_type != "Incident" or kind is None:
                return []
            if kinds is not None and kind not in kinds:
                return []
            if incident_id is not None and event.entity_id != incident_id:
                return []
            return [event.entity_id]

        # Built now, so a bad filter fails the subscription before it starts.
        query = filtered(
            select(Row.__table__).where(Row.tenant_id == info.context.tenant_id), filter
        )
        super().__init__(info, query, Row.id, rows_of)


@strawberry.type
class Subscription:
    bulk_update_progress = bulk_api.bulk_update_progress
    incident_counts_changed = counts.incident_counts_changed

    @strawberry.subscription(
        description=(
            "Every create, update, assignment, status change and comment on incidents that "
            "match the filter. Resume after a disconnect with `after` = the last event id: "
            "missed events arrive first, in order (RESYNC_REQUIRED when they are older than "
            "the retention window)."
        ),
        extensions=requires(permissions.VIEW),
    )
    async def incident_events(
        self,
        info: strawberry.Info,
        filter: IncidentFilter | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[IncidentEvent, None]:
        matcher = Matcher(info, filter)
        async for event, row in live_events(
            info, permissions.VIEW, resume_position(after), matcher
        ):
            yield IncidentEvent(
                id=strawberry.ID(str(event.seq)),
                kind=CHANGE_KIND[event.kind],
                occurred_at=event.occurred_at,
                incident=Incident.from_row(row),
                changed_fields=sorted(event.payload.get("changes") or ()),
            )

    @strawberry.subscription(
        description="Incidents as they are opened (matching the filter, if given).",
        extensions=requires(permissions.VIEW),
    )
    async def new_incident(
        self, info: strawberry.Info, filter: IncidentFilter | None = None
    ) -> AsyncGenerator[Incident, None]:
        matcher = Matcher(info, filter, kinds=frozenset({enums.ChangeKind.CREATED}))
        async for _, row in live_events(info, permissions.VIEW, None, matcher):
            yield Incident.from_row(row)

    @strawberry.subscription(
        description="The incident, each time a change to it commits.",
        extensions=requires(permissions.VIEW),
    )
    async def incident_updated(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> AsyncGenerator[Incident, None]:
        incident_id = parse_id(id)
        changes = frozenset(enums.ChangeKind) - {enums.ChangeKind.CREATED}
        matcher = Matcher(info, None, kinds=changes, incident_id=incident_id)
        if not await info.context.db.rows(matcher.query.where(Row.id == incident_id)):
            raise NotFound(f"No incident with id {id}", id=str(id))
        await info.context.end_event()
        async for _, row in live_events(info, permissions.VIEW, None, matcher):
            yield Incident.from_row(row)
