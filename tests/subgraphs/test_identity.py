"""The identity subgraph against real PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from db.tables import events
from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from resolvers.context import Context
from subgraphs.identity import tables as tables
from tests.support import Subgraph, count_rows

CREATE_USER = """mutation($input: CreateUserInput!) {
  createUser(input: $input) { id name email active roles teams { name } } }"""
CREATE_TEAM = """mutation($input: CreateTeamInput!) {
  createTeam(input: $input) { id name description members { name } } }"""
ADD = """mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) {
  name members { name } } }"""


async def user(identity: Subgraph, name: str, email: str, **extra: Any) -> dict[str, Any]:
    data = await identity.ok(CREATE_USER, input={"name": name, "email": email, **extra})
    return data["createUser"]  # type: ignore[no-any-return]


async def team(identity: Subgraph, name: str) -> dict[str, Any]:
    return (await identity.ok(CREATE_TEAM, input={"name": name}))["createTeam"]  # type: ignore[no-any-return]


async def test_users_and_teams(identity: Subgraph) -> None:
    ada = await user(identity, " Ada Lovelace ", "ada@example.com", roles=["operator", "admin"])
    assert ada | {"id": None} == {
        "id": None,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "active": True,
        "roles": ["admin", "operator"],
        "teams": [],
    }
    grace = await user(identity, "Grace Hopper", "grace@example.com")
    assert grace["roles"] == ["viewer"]
    noc = await team(identity, "NOC")
    await identity.ok(ADD, t=noc["id"], u=grace["id"])
    added = await identity.ok(ADD, t=noc["id"], u=ada["id"])
    again = await identity.ok(ADD, t=noc["id"], u=ada["id"])  # idempotent
    assert (
        added
        == again
        == {
            "addTeamMember": {
                "name": "NOC",
                "members": [{"name": "Ada Lovelace"}, {"name": "Grace Hopper"}],
            }
        }
    )
    data = await identity.ok(
        "query($id: ID!) { user(id: $id) { teams { name } } teams { totalCount } "
        'users(filter: {search: "HOPP"}) { edges { node { name } } } }',
        id=ada["id"],
    )
    assert data["user"] == {"teams": [{"name": "NOC"}]}
    assert data["teams"]["totalCount"] == 1
    assert data["users"]["edges"] == [{"node": {"name": "Grace Hopper"}}]
    removed = await identity.ok(
        "mutation($t: ID!, $u: ID!) { removeTeamMember(teamId: $t, userId: $u) { members "
        "{ name } } }",
        t=noc["id"],
        u=ada["id"],
    )
    assert removed["removeTeamMember"]["members"] == [{"name": "Grace Hopper"}]


async def test_users_filtered_by_team_and_paged(identity: Subgraph) -> None:
    people = [await user(identity, f"User {i:02d}", f"u{i}@example.com") for i in range(5)]
    ops = await team(identity, "Ops")
    for person in people[:3]:
        await identity.ok(ADD, t=ops["id"], u=person["id"])
    data = await identity.ok(
        "query($t: ID!) { users(filter: {teamId: $t}, pagination: {first: 2}) { totalCount "
        "edges { node { name } } pageInfo { hasNextPage } } }",
        t=ops["id"],
    )
    assert data["users"]["totalCount"] == 3
    assert [e["node"]["name"] for e in data["users"]["edges"]] == ["User 00", "User 01"]
    assert data["users"]["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    "fields,code,message",
    [
        ({"name": ""}, "BAD_USER_INPUT", "name must not be empty"),
        ({"name": "n" * 201}, "BAD_USER_INPUT", "name must be at most 200 characters"),
        (
            {"email": "not-an-email"},
            "BAD_USER_INPUT",
            "email 'not-an-email' is not an e-mail address",
        ),
        (
            {"roles": ["root"]},
            "BAD_USER_INPUT",
            "Unknown role(s) root; built-in roles: admin, operator, viewer, or one of the "
            "tenant's own roles",
        ),
        (
            {"email": "TAKEN@example.com"},
            "CONFLICT",
            "A user with e-mail TAKEN@example.com already exists",
        ),
    ],
)
async def test_bad_user_input_writes_nothing(
    identity: Subgraph,
    owner_sessions: Any,
    tenant_id: Any,
    fields: dict[str, Any],
    code: str,
    message: str,
) -> None:
    await user(identity, "Taken", "taken@example.com")
    result = await identity.run(
        CREATE_USER, input={"name": "New", "email": "new@example.com", **fields}
    )
    assert [(e["extensions"]["code"], e["message"]) for e in result["errors"]] == [(code, message)]
    assert await count_rows(owner_sessions, tables.User, tenant_id) == 1


async def test_team_errors(identity: Subgraph) -> None:
    noc = await team(identity, "NOC")
    duplicate = await identity.run(CREATE_TEAM, input={"name": "NOC"})
    assert duplicate["errors"][0]["extensions"]["code"] == "CONFLICT"
    unknown = await identity.run(ADD, t=noc["id"], u="00000000-0000-4000-8000-000000000000")
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    malformed = await identity.run(ADD, t="x", u="y")
    assert malformed["errors"][0]["message"] == "teamId 'x' is not a valid id"
    not_member = await identity.run(
        "mutation($t: ID!, $u: ID!) { removeTeamMember(teamId: $t, userId: $u) { id } }",
        t=noc["id"],
        u="00000000-0000-4000-8000-000000000000",
    )
    assert not_member["errors"][0]["extensions"]["code"] == "NOT_FOUND"


UPDATE_USER = """mutation($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { id name phone active } }"""


async def outbox_of(owner_sessions: Any, tenant_id: Any) -> list[tuple[str, dict[str, Any]]]:
    async with owner_sessions() as session:
        rows = await session.execute(
            select(events.OutboxEvent.kind, events.OutboxEvent.payload)
            .where(events.OutboxEvent.tenant_id == tenant_id)
            .order_by(events.OutboxEvent.id)
        )
    return [(kind, payload["changes"]) for kind, payload in rows]


async def test_update_user_deactivates_reactivates_and_tells_every_process(
    identity: Subgraph, owner_sessions: Any, tenant_id: Any
) -> None:
    ada = await user(identity, "Ada", "ada@example.com", phone="+44 20 7946 0000")
    off = await identity.ok(UPDATE_USER, id=ada["id"], input={"active": False, "phone": ""})
    assert off["updateUser"] == {"id": ada["id"], "name": "Ada", "phone": None, "active": False}
    unchanged = await identity.ok(UPDATE_USER, id=ada["id"], input={"name": " Ada "})
    assert unchanged["updateUser"]["active"] is False  # omitted fields stay
    on = await identity.ok(UPDATE_USER, id=ada["id"], input={"active": True, "name": "Ada L."})
    assert on["updateUser"] == {"id": ada["id"], "name": "Ada L.", "phone": None, "active": True}
    # One event per change (none for a change that changes nothing), named for what it does.
    created = {"name": [None, "Ada"], "email": [None, "ada@example.com"],
               "phone": [None, "+44 20 7946 0000"], "roles": [None, ["viewer"]]}  # fmt: skip
    assert await outbox_of(owner_sessions, tenant_id) == [
        ("user.created", created),
        ("user.deactivated", {"active": [True, False], "phone": ["+44 20 7946 0000", None]}),
        ("user.reactivated", {"active": [False, True], "name": ["Ada", "Ada L."]}),
    ]
    audit = await identity.ok(
        '{ auditLog(filter: {operation: "updateUser"}) { edges { node { entityId '
        "changes { field before after } } } } }"
    )
    records = [edge["node"] for edge in audit["auditLog"]["edges"]]
    assert {r["entityId"] for r in records} == {ada["id"]} and len(records) == 3
    assert {"field": "active", "before": True, "after": False} in [
        change for record in records for change in record["changes"]
    ]


@pytest.mark.parametrize(
    "input,code,message",
    [
        ({"name": "  "}, "BAD_USER_INPUT", "name must not be empty"),
        ({"phone": "1" * 41}, "BAD_USER_INPUT", "phone must be at most 40 characters"),
    ],
)
async def test_bad_user_changes_write_nothing(
    identity: Subgraph,
    owner_sessions: Any,
    tenant_id: Any,
    input: dict[str, Any],
    code: str,
    message: str,
) -> None:
    ada = await user(identity, "Ada", "ada@example.com")
    result = await identity.run(UPDATE_USER, id=ada["id"], input={"active": False, **input})
    assert [(e["extensions"]["code"], e["message"]) for e in result["errors"]] == [(code, message)]
    assert (await identity.ok(UPDATE_USER, id=ada["id"], input={}))["updateUser"]["active"]
    assert [kind for kind, _ in await outbox_of(owner_sessions, tenant_id)] == ["user.created"]


async def test_an_unknown_or_other_tenants_user_is_not_found(
    identity: Subgraph, new_context: Any, owner_sessions: Any
) -> None:
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"x-{uuid.uuid4().hex[:10]}", "Other")
    theirs = await identity.ok(
        CREATE_USER, new_context(other), input={"name": "Bob", "email": "bob@example.com"}
    )
    for id in (theirs["createUser"]["id"], str(uuid.uuid4())):
        result = await identity.run(UPDATE_USER, id=id, input={"active": False})
        assert [e["extensions"]["code"] for e in result["errors"]] == ["NOT_FOUND"]
        assert result["errors"][0]["message"] == f"No user with id {id}"
    mine = await identity.ok("query($id: ID!) { user(id: $id) { active } }", new_context(other),
                             id=theirs["createUser"]["id"])  # fmt: skip
    assert mine == {"user": {"active": True}}


async def test_nobody_deactivates_themselves(
    identity: Subgraph, sessions: Any, tenant_id: Any
) -> None:
    ada = await user(identity, "Ada", "ada@example.com", roles=["admin"])
    herself = REGISTRY.roles.principal(
        tenant_id, frozenset({"admin"}), user_id=uuid.UUID(ada["id"]), authenticated=True
    )
    result = await identity.run(
        UPDATE_USER, Context.open(sessions, principal=herself), id=ada["id"],
        input={"active": False},
    )  # fmt: skip
    assert [(e["extensions"]["code"], e["message"]) for e in result["errors"]] == [
        ("FORBIDDEN", "You cannot deactivate yourself")
    ]
    renamed = await identity.ok(
        UPDATE_USER, Context.open(sessions, principal=herself), id=ada["id"],
        input={"name": "Ada Lovelace"},
    )  # fmt: skip
    assert renamed["updateUser"]["active"] is True
