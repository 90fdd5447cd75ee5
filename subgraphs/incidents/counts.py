"""Dashboard tiles: how many of the tenant's incidents match a filter, per status, priority,
team or assignee — `incidentCounts` (one GROUP BY statement, the same filter as `incidents`)
and `incidentCountsChanged`, the same counts kept current over a subscription.

The subscription recomputes the counts after incident events of the subscriber's tenant,
coalesced: events that arrive while a recount runs are answered by one more recount, not one
each, so a burst of a thousand changes costs a few statements. It yields the counts when
they differ from the last it sent (first the current ones at once)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import Select, func, select

from resolvers.errors import SubscriptionsUnavailable
from resolvers.events import Event, EventFeed, when_reachable
from resolvers.permissions import check, requires
from subgraphs.incidents import enums, permissions, rules
from subgraphs.incidents.inputs import IncidentFilter
from subgraphs.incidents.queries import Row, filtered
from subgraphs.incidents.references import Team, User


@strawberry.enum(description="What incident counts are grouped by.")
class IncidentCountGroup(Enum):
    STATUS = strawberry.enum_value("STATUS", description="Per status, in the lifecycle's order.")
    PRIORITY = strawberry.enum_value("PRIORITY", description="Per priority, CRITICAL first.")
    TEAM = strawberry.enum_value(
        "TEAM", description="Per team, most incidents first; unassigned (team null) last."
    )
    ASSIGNEE = strawberry.enum_value(
        "ASSIGNEE", description="Per assignee, most incidents first; unassigned last."
    )


GROUP_COLUMNS: dict[IncidentCountGroup, Any] = {
    IncidentCountGroup.STATUS: Row.status,
    IncidentCountGroup.PRIORITY: Row.priority,
    IncidentCountGroup.TEAM: Row.team_id,
    IncidentCountGroup.ASSIGNEE: Row.assignee_id,
}
_STATUS_ORDER = {status.value: index for index, status in enumerate(enums.IncidentStatus)}


@strawberry.type(description="How many incidents fall in one group.")
class IncidentCount:
    key: str | None = strawberry.field(
        description="The group: a status or priority name, a team or user id; null for "
        "incidents without a team (or assignee)."
    )
    status: enums.IncidentStatus | None = strawberry.field(
        description="The status (grouped by STATUS)."
    )
    priority: enums.Priority | None = strawberry.field(
        description="The priority (grouped by PRIORITY)."
    )
    team: Team | None = strawberry.field(description="The team (grouped by TEAM).")
    assignee: User | None = strawberry.field(description="The assignee (grouped by ASSIGNEE).")
    count: int = strawberry.field(description="How many incidents.")


@strawberry.type(description="Incident counts for a dashboard tile.")
class IncidentCounts:
    group_by: IncidentCountGroup = strawberry.field(description="What the groups are.")
    total: int = strawberry.field(description="How many incidents match the filter.")
    groups: list[IncidentCount] = strawberry.field(
        description="The groups with at least one incident, in the grouping's order."
    )


def count_statement(
    tenant_id: Any, filter: IncidentFilter | None, group_by: IncidentCountGroup
) -> Select[Any]:
    """The one statement: the filtered incidents of the tenant, counted per group (built
    first, so a bad filter is refused before anything runs)."""
    column = GROUP_COLUMNS[group_by]
    query = select(column.label("key"), func.count().label("count")).where(
        Row.tenant_id == tenant_id
    )
    return filtered(query, filter).group_by(column)


def counts_of(rows: Any, group_by: IncidentCountGroup) -> IncidentCounts:
    groups = [_group(row.key, row.count, group_by) for row in rows]
    if group_by is IncidentCountGroup.STATUS:
        groups.sort(key=lambda g: _STATUS_ORDER[g.key or ""])
    elif group_by is IncidentCountGroup.PRIORITY:
        groups.sort(key=lambda g: -rules.PRIORITY_RANK[enums.Priority(g.key)])
    else:
        groups.sort(key=lambda g: (g.key is None, -g.count, g.key or ""))
    return IncidentCounts(group_by=group_by, total=sum(g.count for g in groups), groups=groups)


def _group(key: Any, count: int, group_by: IncidentCountGroup) -> IncidentCount:
    group = IncidentCount(
        key=None, status=None, priority=None, team=None, assignee=None, count=count
    )
    if group_by is IncidentCountGroup.STATUS:
        group.status = enums.IncidentStatus(key)
        group.key = key
    elif group_by is IncidentCountGroup.PRIORITY:
        group.priority = rules.PRIORITY_BY_RANK[key]
        group.key = group.priority.value
    elif group_by is IncidentCountGroup.TEAM:
        group.team = Team.ref(key)
        group.key = None if key is None else str(key)
    else:
        group.assignee = User.ref(key)
        group.key = None if key is None else str(key)
    return group


_GROUP_BY = strawberry.argument(description="What to count per.")
_FILTER = strawberry.argument(description="Which incidents to count (as for `incidents`).")


@strawberry.field(
    description="How many of the tenant's incidents match the filter, per status, priority, "
    "team or assignee (dashboard tiles).",
    extensions=requires(permissions.VIEW),
)
async def incident_counts(
    info: strawberry.Info,
    group_by: IncidentCountGroup,
    filter: IncidentFilter | None = None,
) -> IncidentCounts:
    statement = count_statement(info.context.tenant_id, filter, group_by)
    return counts_of(await info.context.db.rows(statement), group_by)


@strawberry.subscription(
    description="incidentCounts kept current: the counts at once, then again whenever an "
    "incident change of the tenant alters them (changes in a burst are counted together).",
    extensions=requires(permissions.VIEW),
)
async def incident_counts_changed(
    info: strawberry.Info,
    group_by: IncidentCountGroup,
    filter: IncidentFilter | None = None,
) -> AsyncGenerator[IncidentCounts, None]:
    context = info.context
    feed: EventFeed | None = getattr(context, "events", None)
    if feed is None:
        raise SubscriptionsUnavailable("This server does not deliver events")
    statement = count_statement(context.tenant_id, filter, group_by)
    changed = asyncio.Event()
    failure: list[BaseException] = []
    watcher = asyncio.ensure_future(_watch(feed.stream(context.tenant_id, None), changed, failure))
    try:
        await asyncio.sleep(0)  # the watcher listens before the first count is read
        last: IncidentCounts | None = None
        while True:
            check(context.principal, permissions.VIEW)
            rows = await when_reachable(context, lambda: context.db.rows(statement))
            counts = counts_of(rows, group_by)
            await context.end_event()
            if counts != last:
                last = counts
                yield counts
            await changed.wait()
            changed.clear()
            if failure:
                raise failure[0]
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _watch(
    events: AsyncIterator[Event], changed: asyncio.Event, failure: list[BaseException]
) -> None:
    """Flag `changed` on each incident event (the counter reads the flag: coalescing)."""
    try:
        async for event in events:
            if event.entity_type == "Incident":
                changed.set()
    except asyncio.CancelledError:
        raise
    except Exception as error:
        failure.append(error)
        changed.set()
    finally:
        closing = getattr(events, "aclose", None)
        if closing is not None:
            await closing()
