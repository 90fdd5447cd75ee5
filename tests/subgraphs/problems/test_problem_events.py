"""`problemEvents` against real PostgreSQL: the outbox events problem changes write,
delivered through the shared subscription machinery (resolvers/events.py) — every change
kind, the filter matched against the problem as it is now, resume with `after`, and the
tenant wall."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select

from db.tables import events as event_tables
from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from resolvers.context import Context
from resolvers.events import Event
from subgraphs.problems import schema as problems_schema
from tests.subgraphs.problems.conftest import create_problem
from tests.support import Subgraph

EVENTS = """subscription($filter: ProblemFilter, $after: String) {
  problemEvents(filter: $filter, after: $after) {
    id kind changedFields problem { number title status }
  }
}"""


class OutboxFeed:
    """The committed problem events of every tenant, in order, then the end of the stream:
    the relay and hub deliver the same rows (`id` stands in for the relay's `seq`). It
    ignores which tenant asks, so the subscriber's own walls are all that keeps other
    tenants' problems out."""

    last_seq = 0  # the stream reads the committed outbox itself

    def __init__(self, owner_sessions: Any) -> None:
        self.owner_sessions = owner_sessions

    async def stream(self, tenant_id: uuid.UUID, after: int | None) -> AsyncIterator[Event]:
        o = event_tables.OutboxEvent
        async with self.owner_sessions() as session:
            rows = (
                await session.scalars(
                    select(o).where(o.domain == "problems", o.id > (after or 0)).order_by(o.id)
                )
            ).all()
        for row in rows:
            yield Event(
                row.id,
                row.tenant_id,
                row.kind,
                row.entity_type,
                row.entity_id,
                row.payload,
                row.created_at,
            )


async def subscribe(
    sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID, **variables: Any
) -> list[dict[str, Any]]:
    context = Context.open(
        sessions,
        principal=REGISTRY.roles.principal(tenant_id, frozenset({"viewer"})),
        events=OutboxFeed(owner_sessions),
    )
    received = []
    try:
        stream = await problems_schema.subscribe(
            EVENTS, variable_values=variables, context_value=context
        )
        async for result in stream:  # type: ignore[union-attr]
            assert not result.errors, result.errors
            received.append(result.data["problemEvents"])
    finally:
        await context.close()
    return received


async def test_every_change_in_order_filtered_and_resumable(
    problems: Subgraph, sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    vpn = await create_problem(problems, title="VPN drops", category="network")
    await create_problem(problems, title="Printer jams", category="hardware")
    update = (
        "mutation($id: ID!, $input: UpdateProblemInput!) "
        "{ updateProblem(id: $id, input: $input) { id } }"
    )
    await problems.ok(update, id=vpn["id"], input={"status": "ASSESS"})
    await problems.ok(
        'mutation($id: ID!) { markKnownError(id: $id, input: {symptom: "s", workaround: "w"}) '
        "{ id } }",
        id=vpn["id"],
    )
    await problems.ok("mutation($id: ID!) { publishWorkaround(id: $id) { id } }", id=vpn["id"])
    await problems.ok(
        'mutation($id: ID!) { addProblemComment(problemId: $id, input: {body: "hm"}) { id } }',
        id=vpn["id"],
    )

    network = await subscribe(sessions, owner_sessions, tenant_id, filter={"category": "network"})
    assert [(e["kind"], e["changedFields"]) for e in network] == [
        ("CREATED", ["category", "priority", "status", "title"]),
        ("STATUS_CHANGED", ["status"]),
        ("KNOWN_ERROR_MARKED", ["knownError", "symptom", "workaround"]),
        ("WORKAROUND_PUBLISHED", []),
        ("COMMENTED", []),
    ]
    assert {e["problem"]["status"] for e in network} == {"ASSESS"}  # as it is now
    resumed = await subscribe(sessions, owner_sessions, tenant_id, after=network[0]["id"])
    assert [(e["kind"], e["problem"]["title"]) for e in resumed] == [
        ("CREATED", "Printer jams"),
        ("STATUS_CHANGED", "VPN drops"),
        ("KNOWN_ERROR_MARKED", "VPN drops"),
        ("WORKAROUND_PUBLISHED", "VPN drops"),
        ("COMMENTED", "VPN drops"),
    ]


async def test_another_tenants_events_show_nothing(
    problems: Subgraph, sessions: Any, owner_sessions: Any
) -> None:
    await create_problem(problems, title="theirs")
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"o-{uuid.uuid4().hex[:10]}", "Other")
    assert await subscribe(sessions, owner_sessions, other) == []
