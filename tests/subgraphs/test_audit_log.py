"""The audit trail: every mutation writes exactly one record (one INSERT) in its own
transaction, a failed one writes none, and `auditLog` lists them newest first, filtered."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.tables import audit
from opsgraph.domains import REGISTRY
from opsgraph.server import build_gateway
from resolvers.context import Context
from resolvers.principal import Principal
from subgraphs.identity import schema as identity_schema
from subgraphs.identity.service.audit_log import NEWEST_FIRST, audit_entries
from subgraphs.incidents import schema as incidents_schema
from tests.support import Subgraph, analysed, rows_read

NEWEST = (NEWEST_FIRST.columns[0].desc(), NEWEST_FIRST.columns[1].desc())

Sessions = async_sessionmaker[AsyncSession]
SCHEMAS = {"identity": identity_schema, "incidents": incidents_schema}

# (operation, subgraph, mutation, entity the record names, expected before, expected after).
# `$user`, `$team`, `$incident`, `$role` are made by the `world` fixture; entity "user" etc.
# names which of them the record is about ("new" for the row the mutation creates). A
# before of None: a new entity, every field of `after` was null before.
MUTATIONS = [
    ("createUser", "identity", 'mutation { createUser(input: {name: "Bo", email: '
     '"bo@example.com"}) { id } }', ("User", "new"), None,
     {"name": "Bo", "email": "bo@example.com", "phone": None, "roles": ["viewer"]}),
    ("createTeam", "identity", 'mutation { createTeam(input: {name: "DBA"}) { id } }',
     ("Team", "new"), None, {"name": "DBA", "description": "", "email": None}),
    ("addTeamMember", "identity", "mutation($team: ID!, $user: ID!) { addTeamMember(teamId: "
     "$team, userId: $user) { id } }", ("Team", "team"), {"member": None}, {"member": "$user"}),
    ("removeTeamMember", "identity", "mutation($team: ID!, $member: ID!) { removeTeamMember("
     "teamId: $team, userId: $member) { id } }", ("Team", "team"), {"member": "$member"},
     {"member": None}),
    ("createRole", "identity", 'mutation { createRole(input: {name: "auditor", '
     'permissions: ["audit:view"]}) { id } }', ("Role", "new"), None,
     {"name": "auditor", "description": "", "permissions": ["audit:view"]}),
    ("updateRole", "identity", "mutation($role: ID!) { updateRole(id: $role, input: "
     '{permissions: ["incident:view", "incident:update"]}) { id } }', ("Role", "role"),
     {"permissions": ["incident:view"]}, {"permissions": ["incident:update", "incident:view"]}),
    ("deleteRole", "identity", "mutation($role: ID!) { deleteRole(id: $role) { id } }",
     ("Role", "role"), {"name": "reader", "description": "Reads", "permissions":
     ["incident:view"]}, {"name": None, "description": None, "permissions": None}),
    ("createIncident", "incidents", 'mutation { createIncident(input: {title: "New"}) { id } }',
     ("Incident", "new"), {"status": None, "title": None}, {"status": "OPEN", "title": "New"}),
    ("updateIncident", "incidents", "mutation($incident: ID!) { updateIncident(id: $incident, "
     'input: {title: "Renamed"}) { id } }', ("Incident", "incident"),
     {"title": "Seed"}, {"title": "Renamed"}),
    ("transitionIncident", "incidents", "mutation($incident: ID!) { transitionIncident("
     "id: $incident, input: {status: ON_HOLD, holdReason: AWAITING_VENDOR}) { dryRun } }",
     ("Incident", "incident"), {"status": "OPEN", "holdReason": None},
     {"status": "ON_HOLD", "holdReason": "AWAITING_VENDOR"}),
    ("assignIncident", "incidents", "mutation($incident: ID!, $user: ID!) { assignIncident("
     "id: $incident, userId: $user) { id } }", ("Incident", "incident"),
     {"assigneeId": None}, {"assigneeId": "$user"}),
    ("addComment", "incidents", "mutation($incident: ID!) { addComment(incidentId: $incident, "
     'input: {body: "On it"}) { id } }', ("IncidentComment", "new"), {"incidentId": None,
     "authorId": None, "visibility": None, "body": None}, {"incidentId": "$incident",
     "authorId": "$actor", "visibility": "WORK_NOTE", "body": "On it"}),
]  # fmt: skip


async def audit_rows(owner_sessions: Sessions, tenant: uuid.UUID) -> list[Any]:
    """The tenant's audit records, oldest first (read as the owner, past the wall)."""
    async with owner_sessions() as session:
        rows = await session.execute(
            select(audit.AuditEntry.__table__)
            .where(audit.AuditEntry.tenant_id == tenant)
            .order_by(audit.AuditEntry.recorded_at, audit.AuditEntry.id)
        )
        return list(rows)


@pytest.fixture
async def world(identity: Subgraph, incidents: Subgraph) -> dict[str, str]:
    """An actor, a user, a team with a member, an incident and a custom role."""
    made = await identity.ok(
        'mutation { a: createUser(input: {name: "Ada", email: "ada@example.com"}) { id } '
        'u: createUser(input: {name: "Ann", email: "ann@example.com"}) { id } '
        'm: createUser(input: {name: "Max", email: "max@example.com"}) { id } '
        't: createTeam(input: {name: "NOC"}) { id } '
        'r: createRole(input: {name: "reader", description: "Reads", '
        'permissions: ["incident:view"]}) { id } }'
    )
    team, member = made["t"]["id"], made["m"]["id"]
    await identity.ok(
        "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }",
        t=team,
        u=member,
    )
    seed = await incidents.ok('mutation { createIncident(input: {title: "Seed"}) { id } }')
    return {
        "actor": made["a"]["id"],
        "user": made["u"]["id"],
        "member": member,
        "team": team,
        "role": made["r"]["id"],
        "incident": seed["createIncident"]["id"],
    }


PRESENCE = build_gateway().entity_presence  # as the router process injects it


def acting(sessions: Sessions, tenant: uuid.UUID, actor: str) -> Context:
    """A request of an admin user, through a partner application, with a request id."""
    principal = REGISTRY.roles.principal(
        tenant,
        frozenset({"admin"}),
        user_id=uuid.UUID(actor),
        subject=actor,
        client_id="wallboard",
        authenticated=True,
    )
    return Context.open(
        sessions, principal=principal, request_id="req-42", entity_presence=PRESENCE
    )


def filled(values: dict[str, Any], world: dict[str, str]) -> dict[str, Any]:
    return {
        k: world[v[1:]] if isinstance(v, str) and v.startswith("$") else v
        for k, v in values.items()
    }


@pytest.mark.parametrize(
    "operation,subgraph,mutation,entity,before,after", MUTATIONS, ids=[m[0] for m in MUTATIONS]
)
async def test_every_mutation_writes_exactly_one_record_with_one_insert(
    sessions: Sessions,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    world: dict[str, str],
    statements: Any,
    operation: str,
    subgraph: str,
    mutation: str,
    entity: tuple[str, str],
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    earlier = await audit_rows(owner_sessions, tenant_id)
    context = acting(sessions, tenant_id, world["actor"])
    used = {k: v for k, v in world.items() if f"${k}" in mutation}
    statements.reset()
    try:
        result = await SCHEMAS[subgraph].execute(
            mutation, variable_values=used, context_value=context
        )
    finally:
        await context.close()
    assert not result.errors, result.errors
    inserts = [s for s in statements.statements if s.startswith("INSERT INTO audit.entries")]
    assert len(inserts) == 1, statements.statements

    rows = await audit_rows(owner_sessions, tenant_id)
    assert len(rows) == len(earlier) + 1
    record = rows[-1]
    entity_type, which = entity
    entity_id = (
        next(iter(result.data.values()))["id"] if which == "new" else world[which]  # type: ignore[union-attr]
    )
    assert (record.operation, record.entity_type, str(record.entity_id)) == (
        operation,
        entity_type,
        entity_id,
    )
    assert (str(record.actor_id), record.request_id, record.client_id) == (
        world["actor"],
        "req-42",
        "wallboard",
    )
    if before is None:
        before = dict.fromkeys(after)
    assert (record.before, record.after) == (filled(before, world), filled(after, world))


async def test_a_failed_mutation_writes_no_record(
    identity: Subgraph,
    incidents: Subgraph,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    world: dict[str, str],
) -> None:
    earlier = await audit_rows(owner_sessions, tenant_id)
    refusals = [
        (incidents, "mutation($i: ID!) { transitionIncident(id: $i, input: {status: CLOSED}) "
         "{ dryRun } }", {"i": world["incident"]}, "CONFLICT"),
        (incidents, "mutation($i: ID!) { transitionIncident(id: $i, input: {status: RESOLVED}) "
         "{ dryRun } }", {"i": world["incident"]}, "BAD_USER_INPUT"),
        (incidents, "mutation($i: ID!) { updateIncident(id: $i, input: {title: \"\"}) { id } }",
         {"i": world["incident"]}, "BAD_USER_INPUT"),
        (identity, 'mutation { createUser(input: {name: "A", email: "ada@example.com"}) '
         "{ id } }", {}, "CONFLICT"),
        (identity, 'mutation { createRole(input: {name: "x", permissions: ["nope:x"]}) { id } }',
         {}, "BAD_USER_INPUT"),
        (identity, 'mutation { createRole(input: {name: "viewer", permissions: []}) { id } }',
         {}, "CONFLICT"),
        (identity, "mutation($t: ID!) { removeTeamMember(teamId: $t, userId: "
         '"00000000-0000-4000-8000-000000000000") { id } }', {"t": world["team"]}, "NOT_FOUND"),
    ]  # fmt: skip
    for subgraph, mutation, variables, code in refusals:
        result = await subgraph.run(mutation, **variables)
        assert [e["extensions"]["code"] for e in result["errors"]] == [code], mutation
    assert await audit_rows(owner_sessions, tenant_id) == earlier


LOG = """
query($filter: AuditLogFilter, $pagination: Pagination) {
  auditLog(filter: $filter, pagination: $pagination) {
    totalCount
    edges { node { operation entityType entityId actor { name } changes { field before after }
                   requestId clientId } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def test_audit_log_lists_newest_first_with_filters_and_pages(
    identity: Subgraph,
    sessions: Sessions,
    tenant_id: uuid.UUID,
    world: dict[str, str],
) -> None:
    for title in ("One", "Two"):
        context = acting(sessions, tenant_id, world["actor"])
        await incidents_schema.execute(
            "mutation($i: ID!, $t: String!) { updateIncident(id: $i, input: {title: $t}) { id } }",
            variable_values={"i": world["incident"], "t": title},
            context_value=context,
        )
        await context.close()

    everything = (await identity.ok(LOG))["auditLog"]
    # The world: 3 users, 1 team, 1 role, 1 membership, 1 incident; then the two updates.
    assert everything["totalCount"] == 9
    assert [e["node"]["operation"] for e in everything["edges"]][:3] == [
        "updateIncident",
        "updateIncident",
        "createIncident",
    ]
    newest = everything["edges"][0]["node"]
    assert newest == {
        "operation": "updateIncident",
        "entityType": "Incident",
        "entityId": world["incident"],
        "actor": {"name": "Ada"},
        "changes": [{"field": "title", "before": "One", "after": "Two"}],
        "requestId": "req-42",
        "clientId": "wallboard",
    }
    assert everything["edges"][-1]["node"]["actor"] is None  # the fixture's anonymous admin

    by_actor = await identity.ok(LOG, filter={"actorId": world["actor"]})
    assert by_actor["auditLog"]["totalCount"] == 2
    on_incident = await identity.ok(
        LOG, filter={"entityType": "Incident", "entityId": world["incident"]}
    )
    assert on_incident["auditLog"]["totalCount"] == 3
    creates = await identity.ok(LOG, filter={"operation": "createUser"})
    assert creates["auditLog"]["totalCount"] == 3
    assert (await identity.ok(LOG, filter={"since": "2999-01-01T00:00:00Z"}))["auditLog"][
        "totalCount"
    ] == 0
    assert (await identity.ok(LOG, filter={"until": "2999-01-01T00:00:00Z"}))["auditLog"][
        "totalCount"
    ] == 9

    sizes: list[int] = []
    paged: list[str] = []
    after = None
    while True:
        page = (await identity.ok(LOG, pagination={"first": 4, "after": after}))["auditLog"]
        sizes.append(len(page["edges"]))
        paged += [e["node"]["operation"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sizes == [4, 4, 1]
    assert paged == [e["node"]["operation"] for e in everything["edges"]]


async def test_audit_log_bad_input(identity: Subgraph) -> None:
    for variables, message in (
        ({"filter": {"entityId": "nope"}}, "filter.entityId 'nope' is not a valid id"),
        ({"filter": {"actorId": "nope"}}, "filter.actorId 'nope' is not a valid id"),
        ({"pagination": {"first": 1, "after": "garbage"}}, "Invalid cursor"),
    ):
        result = await identity.run(LOG, **variables)
        assert [(e["extensions"]["code"], e["message"]) for e in result["errors"]] == [
            ("BAD_USER_INPUT", message)
        ]


async def test_personal_data_in_records_is_masked_without_pii_view(
    identity: Subgraph, sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    await identity.ok(
        'mutation { createUser(input: {name: "Pat", email: "pat@example.com", '
        'phone: "+44 20 7946 0123"}) { id } }'
    )
    query = (
        '{ auditLog(filter: {operation: "createUser"}) { edges { node { changes { field after } '
        "} } } }"
    )
    auditor = Principal(
        tenant_id=tenant_id,
        authenticated=True,
        permissions=frozenset({"audit:view"}),
        catalogue=REGISTRY.roles,
    )
    context = Context.open(sessions, principal=auditor)
    try:
        masked = await identity_schema.execute(query, context_value=context)
    finally:
        await context.close()
    seen = {
        c["field"]: c["after"]
        for c in masked.data["auditLog"]["edges"][0]["node"]["changes"]  # type: ignore[index]
    }
    assert (seen["email"], seen["phone"], seen["name"]) == (
        "p***@example.com",
        "+** ** **** **23",
        "Pat",
    )
    full = (await identity.ok(query))["auditLog"]["edges"][0]["node"]["changes"]
    assert {"field": "email", "after": "pat@example.com"} in full


@pytest.mark.plans
async def test_a_page_of_the_log_by_operation_reads_only_those_entries(
    database_url: str, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    """The log by an operation reads the entries found, by an index, not every entry of the
    tenant (22 ms at 300,000 before core_0006)."""
    entry = {"tenant_id": tenant_id, "operation": "updateIncident", "entity_type": "Incident"}
    entry |= {"request_id": "r"}
    fillers = [{**entry, "entity_id": uuid.uuid4()} for _ in range(5_000)]
    odd = {**entry, "operation": "deleteIncident", "entity_id": uuid.uuid4()}
    async with owner_sessions() as session, session.begin():
        await session.execute(insert(audit.AuditEntry), [*fillers, odd])
    await analysed(owner_sessions, "audit.entries")
    page = audit_entries(tenant_id, operation="deleteIncident").order_by(*NEWEST).limit(21)

    found, read = await rows_read(database_url, tenant_id, page, audit.AuditEntry)

    assert [row.entity_id for row in found] == [odd["entity_id"]]
    assert read <= 5  # the entry found; not the tenant's 5,001
