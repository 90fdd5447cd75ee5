"""The authorisation matrix: every restricted root field, mutation and entity type, for a
caller without a token, one without the permission, and each built-in role. A refused call
returns the right code and changes nothing; an allowed one succeeds."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from resolvers.context import Context
from resolvers.principal import Principal
from subgraphs.identity import schema as identity_schema
from subgraphs.incidents import schema as incidents_schema

PRINCIPALS = ["anonymous", "no permission", "viewer", "operator", "admin"]

# (name, schema, operation, permission). $incident, $user, $team are filled in per test.
OPERATIONS = [
    ("incidents", "incidents", "{ incidents { totalCount } }", "incident:view"),
    ("incident", "incidents", "query($incident: ID!) { incident(id: $incident) { id } }",
     "incident:view"),
    ("incidentByNumber", "incidents", '{ incidentByNumber(number: "INC-1") { id } }',
     "incident:view"),
    ("_entities Incident", "incidents", "query($incident: ID!) { _entities(representations: "
     '[{__typename: "Incident", id: $incident}]) { ... on Incident { id } } }', "incident:view"),
    ("createIncident", "incidents",
     'mutation { createIncident(input: {title: "x"}) { id } }', "incident:create"),
    ("updateIncident", "incidents", "mutation($incident: ID!) { updateIncident(id: $incident, "
     'input: {title: "changed"}) { id } }', "incident:update"),
    ("assignIncident", "incidents", "mutation($incident: ID!, $user: ID!) { assignIncident("
     "id: $incident, userId: $user) { id } }", "incident:assign"),
    ("addComment", "incidents", "mutation($incident: ID!) { addComment(incidentId: $incident, "
     'input: {body: "hi"}) { id } }', "incident:update"),
    ("users", "identity", "{ users { totalCount } }", "identity:view"),
    ("user", "identity", "query($user: ID!) { user(id: $user) { id } }", "identity:view"),
    ("teams", "identity", "{ teams { totalCount } }", "identity:view"),
    ("team", "identity", "query($team: ID!) { team(id: $team) { id } }", "identity:view"),
    ("_entities User", "identity", "query($user: ID!) { _entities(representations: "
     '[{__typename: "User", id: $user}]) { ... on User { id } } }', "identity:view"),
    ("createUser", "identity", 'mutation { createUser(input: {name: "N", email: '
     '"n@example.com"}) { id } }', "identity:manage"),
    ("createTeam", "identity", 'mutation { createTeam(input: {name: "New team"}) { id } }',
     "identity:manage"),
    ("addTeamMember", "identity", "mutation($team: ID!, $user: ID!) { addTeamMember(teamId: "
     "$team, userId: $user) { id } }", "identity:manage"),
    ("removeTeamMember", "identity", "mutation($team: ID!, $user: ID!) { removeTeamMember("
     "teamId: $team, userId: $user) { id } }", "identity:manage"),
]  # fmt: skip
SCHEMAS = {"incidents": incidents_schema, "identity": identity_schema}
SNAPSHOT = {
    "incidents": "{ incidents { totalCount edges { node { title assignee { id } "
    "comments { id } history { id } } } } }",
    "identity": "{ users { totalCount } teams { totalCount edges { node { members { id } } } } }",
}


def principal(kind: str, tenant: uuid.UUID) -> Principal:
    if kind == "anonymous":
        return Principal(tenant_id=tenant)
    roles = frozenset() if kind == "no permission" else frozenset({kind})
    return Principal.with_roles(tenant, roles, authenticated=True)


async def run(sessions: Any, who: Principal, schema: str, query: str, **variables: Any) -> Any:
    context = Context.open(sessions, principal=who)
    try:
        return await SCHEMAS[schema].execute(
            query, variable_values=variables, context_value=context
        )
    finally:
        await context.close()


@pytest.mark.parametrize("kind", PRINCIPALS)
@pytest.mark.parametrize(
    "name,schema,query,permission", OPERATIONS, ids=[op[0] for op in OPERATIONS]
)
async def test_matrix(
    sessions: Any,
    tenant_id: uuid.UUID,
    kind: str,
    name: str,
    schema: str,
    query: str,
    permission: str,
) -> None:
    admin = principal("admin", tenant_id)
    made = await run(
        sessions,
        admin,
        "identity",
        'mutation { u: createUser(input: {name: "Ann", email: "ann@example.com"}) '
        '{ id } t: createTeam(input: {name: "NOC"}) { id } }',
    )
    user, team = made.data["u"]["id"], made.data["t"]["id"]
    await run(
        sessions,
        admin,
        "identity",
        "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }",
        t=team,
        u=user,
    )
    created = await run(
        sessions, admin, "incidents", 'mutation { createIncident(input: {title: "Seed"}) { id } }'
    )
    incident = created.data["createIncident"]["id"]
    variables = {"incident": incident, "user": user, "team": team}
    used = {k: v for k, v in variables.items() if f"${k}" in query}
    before = (await run(sessions, admin, schema, SNAPSHOT[schema])).data

    who = principal(kind, tenant_id)
    result = await run(sessions, who, schema, query, **used)

    if who.can(permission):
        assert not result.errors, result.errors
    else:
        codes = [e.extensions["code"] for e in result.errors or []]
        assert codes == ["UNAUTHENTICATED" if kind == "anonymous" else "FORBIDDEN"]
        assert (await run(sessions, admin, schema, SNAPSHOT[schema])).data == before
