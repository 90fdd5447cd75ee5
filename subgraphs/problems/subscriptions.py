"""Subscription root of the problems subgraph: live problem changes.

Like incidents' (and with the same machinery, resolvers/events.py): every subscription
follows the tenant's committed events and reloads the problem through the subscriber's own
database scope for each one, so the tenant wall, the subscriber's permission and the filter
apply to what is current. `problem.resolved` is not delivered: the same change arrives as
its STATUS_CHANGED event."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from sqlalchemy import select

from resolvers.events import Event, RowMatcher, live_events, resume_position
from resolvers.permissions import requires
from subgraphs.problems import enums, permissions
from subgraphs.problems.events import ENTITY, EVENT_KIND
from subgraphs.problems.inputs import ProblemFilter
from subgraphs.problems.queries import Row, filtered
from subgraphs.problems.types import Problem

CHANGE_KIND = {kind: change for change, kind in EVENT_KIND.items()}


@strawberry.type(description="A committed change to a problem, in the order changes commit.")
class ProblemEvent:
    id: strawberry.ID = strawberry.field(
        description="Position in the event sequence; pass it as `after` to resume after it."
    )
    kind: enums.ProblemChangeKind = strawberry.field(description="What kind of change it was.")
    occurred_at: datetime = strawberry.field(description="When the change was made.")
    problem: Problem = strawberry.field(description="The problem as it is now.")
    changed_fields: list[str] = strawberry.field(
        description="The problem's fields the change set (empty for a comment or a link)."
    )


class Matcher(RowMatcher):
    """Loads an event's problem if it still matches what the subscriber asked for."""

    def __init__(self, info: strawberry.Info, filter: ProblemFilter | None) -> None:
        def rows_of(event: Event) -> list[uuid.UUID]:
            if event.entity_type != ENTITY or event.kind not in CHANGE_KIND:
                return []
            return [event.entity_id]

        # Built now, so a bad filter fails the subscription before it starts.
        query = filtered(
            select(Row.__table__).where(Row.tenant_id == info.context.tenant_id), filter
        )
        super().__init__(info, query, Row.id, rows_of)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "Every change to problems that match the filter: creates, updates, assignments, "
            "status changes, comments, known errors, workarounds and incident links. Resume "
            "after a disconnect with `after` = the last event id: missed events arrive first, "
            "in order (RESYNC_REQUIRED when they are older than the retention window)."
        ),
        extensions=requires(permissions.VIEW),
    )
    async def problem_events(
        self,
        info: strawberry.Info,
        filter: ProblemFilter | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[ProblemEvent, None]:
        matcher = Matcher(info, filter)
        async for event, row in live_events(
            info, permissions.VIEW, resume_position(after), matcher
        ):
            changes = event.payload.get("changes") or {}
            yield ProblemEvent(
                id=strawberry.ID(str(event.seq)),
                kind=CHANGE_KIND[event.kind],
                occurred_at=event.occurred_at,
                problem=Problem.from_row(row),
                changed_fields=sorted(name for name in changes if name != "comment"),
            )
