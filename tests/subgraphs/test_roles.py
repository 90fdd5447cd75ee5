"""The tenant's own roles: defined, changed and deleted by role managers, validated against the
permission catalogue, listed beside the built-in ones, and usable as users' roles."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from resolvers.context import Context
from resolvers.principal import Principal
from subgraphs.identity import schema as identity_schema
from subgraphs.identity import tables as tables
from tests.support import Subgraph, count_rows

CREATE = """mutation($input: CreateRoleInput!) {
  createRole(input: $input) { id name description permissions builtin } }"""
UPDATE = """mutation($id: ID!, $input: UpdateRoleInput!) {
  updateRole(id: $id, input: $input) { id name description permissions } }"""
DELETE = "mutation($id: ID!) { deleteRole(id: $id) { name } }"
ROLES = "{ roles { id name permissions builtin } }"


async def create(identity: Subgraph, **fields: Any) -> dict[str, Any]:
    data = await identity.ok(CREATE, input={"name": "triage", "permissions": [], **fields})
    return data["createRole"]  # type: ignore[no-any-return]


async def test_define_change_list_and_delete_a_role(identity: Subgraph) -> None:
    role = await create(
        identity,
        name="triage",
        description=" First line ",
        permissions=["incident:view", "incident:assign", "incident:view"],
    )
    assert role | {"id": None} == {
        "id": None,
        "name": "triage",
        "description": "First line",
        "permissions": ["incident:assign", "incident:view"],
        "builtin": False,
    }
    changed = await identity.ok(
        UPDATE, id=role["id"], input={"permissions": ["incident:view"], "description": "L1"}
    )
    assert changed["updateRole"] == {
        "id": role["id"],
        "name": "triage",
        "description": "L1",
        "permissions": ["incident:view"],
    }
    listed = (await identity.ok(ROLES))["roles"]
    assert [(r["name"], r["builtin"]) for r in listed] == [
        ("admin", True),
        ("operator", True),
        ("viewer", True),
        ("triage", False),
    ]
    assert listed[0]["id"] is None and "admin:roles" in listed[0]["permissions"]
    assert (await identity.ok(DELETE, id=role["id"]))["deleteRole"] == {"name": "triage"}
    assert [r["name"] for r in (await identity.ok(ROLES))["roles"]] == [
        "admin",
        "operator",
        "viewer",
    ]


async def test_the_permission_catalogue_is_listed(identity: Subgraph) -> None:
    catalogue = (await identity.ok("{ permissions }"))["permissions"]
    assert {"audit:view", "admin:roles", "incident:view", "identity:manage"} <= set(catalogue)
    assert catalogue == sorted(catalogue)


@pytest.mark.parametrize(
    "fields,code,message",
    [
        ({"name": "Bad Name"}, "BAD_USER_INPUT", None),
        ({"name": ""}, "BAD_USER_INPUT", None),
        ({"name": "x" * 64}, "BAD_USER_INPUT", None),
        ({"name": "admin"}, "CONFLICT", "admin is a built-in role and cannot be redefined"),
        ({"name": "taken"}, "CONFLICT", "A role named taken already exists"),
        (
            {"permissions": ["incident:view", "incident:explode"]},
            "BAD_USER_INPUT",
            None,
        ),
    ],
)
async def test_bad_definitions_write_nothing(
    identity: Subgraph,
    owner_sessions: Any,
    tenant_id: uuid.UUID,
    fields: dict[str, Any],
    code: str,
    message: str | None,
) -> None:
    await create(identity, name="taken")
    result = await identity.run(CREATE, input={"name": "triage", "permissions": [], **fields})
    assert [e["extensions"]["code"] for e in result["errors"]] == [code]
    if message is not None:
        assert result["errors"][0]["message"] == message
    assert await count_rows(owner_sessions, tables.Role, tenant_id) == 1


async def test_unknown_permission_is_named(identity: Subgraph) -> None:
    result = await identity.run(CREATE, input={"name": "x", "permissions": ["incident:explode"]})
    assert result["errors"][0]["message"].startswith("Unknown permission(s) incident:explode;")


async def test_update_and_delete_refuse_unknown_roles_and_permissions(
    identity: Subgraph,
) -> None:
    role = await create(identity, permissions=["incident:view"])
    missing = str(uuid.uuid4())
    for query, variables in (
        (UPDATE, {"id": missing, "input": {"description": "x"}}),
        (DELETE, {"id": missing}),
    ):
        result = await identity.run(query, **variables)
        assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    bad = await identity.run(UPDATE, id=role["id"], input={"permissions": ["nope"]})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    malformed = await identity.run(DELETE, id="not-a-uuid")
    assert malformed["errors"][0]["message"] == "id 'not-a-uuid' is not a valid id"
    listed = (await identity.ok(ROLES))["roles"]
    assert listed[-1]["permissions"] == ["incident:view"]


async def test_a_role_manager_cannot_grant_more_than_it_holds(
    sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    manager = Principal(
        tenant_id=tenant_id,
        catalogue=REGISTRY.roles,
        authenticated=True,
        permissions=frozenset({"admin:roles", "incident:view"}),
    )
    context = Context.open(sessions, principal=manager)
    try:
        result = await identity_schema.execute(
            CREATE,
            variable_values={"input": {"name": "sneaky", "permissions": ["audit:view"]}},
            context_value=context,
        )
    finally:
        await context.close()
    assert [e.extensions["code"] for e in result.errors or []] == ["FORBIDDEN"]
    assert await count_rows(owner_sessions, tables.Role, tenant_id) == 0


async def test_users_may_hold_the_tenants_own_roles(identity: Subgraph) -> None:
    await create(identity, name="triage")
    made = await identity.ok(
        'mutation { createUser(input: {name: "T", email: "t@example.com", '
        'roles: ["triage", "viewer"]}) { roles } }'
    )
    assert made["createUser"]["roles"] == ["triage", "viewer"]
    unknown = await identity.run(
        'mutation { createUser(input: {name: "U", email: "u@example.com", '
        'roles: ["triage", "ghost"]}) { id } }'
    )
    assert unknown["errors"][0]["message"].startswith("Unknown role(s) ghost;")


async def test_another_tenants_roles_are_out_of_reach(
    identity: Subgraph, new_context: Any, owner_sessions: Any
) -> None:
    mine = await create(identity, name="triage", permissions=["incident:view"])
    async with owner_sessions() as session, session.begin():
        other_tenant = await create_tenant(session, f"o-{uuid.uuid4().hex[:8]}", "Other")
    theirs = Subgraph(identity_schema, lambda: new_context(other_tenant))
    assert [r["name"] for r in (await theirs.ok(ROLES))["roles"]] == [
        "admin",
        "operator",
        "viewer",
    ]
    for query, variables in (
        (UPDATE, {"id": mine["id"], "input": {"permissions": []}}),
        (DELETE, {"id": mine["id"]}),
    ):
        result = await theirs.run(query, **variables)
        assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # The same name is free in another tenant.
    assert (await theirs.ok(CREATE, input={"name": "triage", "permissions": []}))["createRole"]
    assert (await identity.ok(ROLES))["roles"][-1]["permissions"] == ["incident:view"]
