"""The identity subgraph's outbox events against real PostgreSQL: every committed change of a
user, team, role or API client writes exactly one event, in the transaction of the change (the
same transaction id as the mutation's audit record); a refused mutation, or one that changes
nothing, writes none."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from opsgraph.domains import REGISTRY
from opsgraph.server import api_schema, build_gateway
from resolvers.context import Context
from subgraphs.identity import DOMAIN
from tests.support import Subgraph

CREATE_USER = """mutation($input: CreateUserInput!) { createUser(input: $input) { id } }"""
UPDATE_USER = """mutation($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { id } }"""
CREATE_TEAM = """mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }"""
ADD_MEMBER = "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }"
REMOVE_MEMBER = "mutation($t: ID!, $u: ID!) { removeTeamMember(teamId: $t, userId: $u) { id } }"
CREATE_ROLE = """mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }"""
UPDATE_ROLE = """mutation($id: ID!, $input: UpdateRoleInput!) {
  updateRole(id: $id, input: $input) { id } }"""
DELETE_ROLE = "mutation($id: ID!) { deleteRole(id: $id) { id } }"
CREATE_CLIENT = """mutation($input: CreateApiClientInput!) { createApiClient(input: $input) {
  id } }"""
UPDATE_CLIENT = """mutation($c: String!, $input: UpdateApiClientInput!) {
  updateApiClient(clientId: $c, input: $input) { id } }"""
REGISTER = """mutation($input: RegisterPersistedOperationsInput!) {
  registerPersistedOperations(input: $input) { client { id } addedIds } }"""
MANIFEST = orjson.dumps({"team-count": "{ teams { totalCount } }"}).decode()

GATEWAY = build_gateway()
# Registering validates against the composed schema, handed down as the router process does.
API_SCHEMA = api_schema(GATEWAY)


@dataclass(frozen=True)
class Written:
    """One outbox row, with the id of the transaction that wrote it."""

    kind: str
    domain: str
    entity_type: str
    entity_id: str
    payload: dict[str, Any]
    tx: str


async def last_event(owner_sessions: Any, tenant_id: uuid.UUID) -> int:
    async with owner_sessions() as session:
        found = await session.scalar(
            text("SELECT coalesce(max(id), 0) FROM events.outbox WHERE tenant_id = :t"),
            {"t": tenant_id},
        )
    return int(found)


async def events_after(owner_sessions: Any, tenant_id: uuid.UUID, after: int) -> list[Written]:
    async with owner_sessions() as session:
        rows = await session.execute(
            text(
                "SELECT kind, domain, entity_type, entity_id::text, payload, xmin::text AS tx "
                "FROM events.outbox WHERE tenant_id = :t AND id > :after ORDER BY id"
            ),
            {"t": tenant_id, "after": after},
        )
    return [Written(*row) for row in rows]


async def audit_tx(owner_sessions: Any, tenant_id: uuid.UUID, operation: str) -> str:
    """The transaction id of the newest audit record of `operation`."""
    async with owner_sessions() as session:
        return str(
            await session.scalar(
                text(
                    "SELECT xmin::text FROM audit.entries WHERE tenant_id = :t AND "
                    "operation = :op ORDER BY recorded_at DESC LIMIT 1"
                ),
                {"t": tenant_id, "op": operation},
            )
        )


class Outbox:
    """Runs identity mutations and reads what each wrote to the test tenant's outbox."""

    def __init__(self, identity: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID) -> None:
        self.identity, self.sessions, self.tenant_id = identity, owner_sessions, tenant_id

    async def one(
        self, operation: str, query: str, context: Any = None, **variables: Any
    ) -> tuple[dict[str, Any], Written]:
        """Run a mutation that succeeds; the one event it wrote, in its own transaction."""
        before = await last_event(self.sessions, self.tenant_id)
        data = await self.identity.ok(query, context, **variables)
        written = await events_after(self.sessions, self.tenant_id, before)
        assert len(written) == 1, written
        event = written[0]
        assert event.domain == "identity"
        assert event.tx == await audit_tx(self.sessions, self.tenant_id, operation)
        return data[operation], event

    async def none(self, query: str, context: Any = None, **variables: Any) -> list[str]:
        """Run a mutation; its error codes (none when it succeeded), and that it wrote no
        event."""
        before = await last_event(self.sessions, self.tenant_id)
        result = await self.identity.run(query, context, **variables)
        assert await events_after(self.sessions, self.tenant_id, before) == []
        return [error["extensions"]["code"] for error in result["errors"]]


@pytest.fixture
def outbox(identity: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID) -> Outbox:
    return Outbox(identity, owner_sessions, tenant_id)


@pytest.fixture
async def registering(sessions: Any, tenant_id: uuid.UUID) -> AsyncIterator[Callable[[], Context]]:
    """Request contexts that can validate manifests, as the router process builds them."""
    opened: list[Context] = []

    def make() -> Context:
        principal = REGISTRY.roles.principal(tenant_id, frozenset({"admin"}))
        opened.append(Context.open(sessions, principal=principal, api_schema=API_SCHEMA))
        return opened[-1]

    yield make
    for context in opened:
        await context.close()


def expect(kind: str, entity_type: str, id: str, changes: dict[str, Any]) -> tuple[Any, ...]:
    return kind, entity_type, id, {"id": id, "changes": changes}


def got(event: Written) -> tuple[Any, ...]:
    return event.kind, event.entity_type, event.entity_id, event.payload


async def test_user_events(outbox: Outbox) -> None:
    user, event = await outbox.one(
        "createUser", CREATE_USER, input={"name": "Ada", "email": "ada@example.com"}
    )
    assert got(event) == expect(
        "user.created",
        "User",
        user["id"],
        {
            "name": [None, "Ada"],
            "email": [None, "ada@example.com"],
            "phone": [None, None],
            "roles": [None, ["viewer"]],
        },
    )
    _, event = await outbox.one("updateUser", UPDATE_USER, id=user["id"], input={"name": "Ada L."})
    assert got(event) == expect("user.updated", "User", user["id"], {"name": ["Ada", "Ada L."]})
    _, event = await outbox.one("updateUser", UPDATE_USER, id=user["id"], input={"active": False})
    assert got(event) == expect("user.deactivated", "User", user["id"], {"active": [True, False]})
    _, event = await outbox.one("updateUser", UPDATE_USER, id=user["id"], input={"active": True})
    assert got(event) == expect("user.reactivated", "User", user["id"], {"active": [False, True]})


async def test_team_events(outbox: Outbox) -> None:
    team, event = await outbox.one("createTeam", CREATE_TEAM, input={"name": " NOC "})
    assert got(event) == expect(
        "team.created",
        "Team",
        team["id"],
        {"name": [None, "NOC"], "description": [None, ""], "email": [None, None]},
    )
    user, _ = await outbox.one(
        "createUser", CREATE_USER, input={"name": "Ada", "email": "ada@example.com"}
    )
    _, event = await outbox.one("addTeamMember", ADD_MEMBER, t=team["id"], u=user["id"])
    assert got(event) == expect(
        "team.member_added", "Team", team["id"], {"member": [None, user["id"]]}
    )
    _, event = await outbox.one("removeTeamMember", REMOVE_MEMBER, t=team["id"], u=user["id"])
    assert got(event) == expect(
        "team.member_removed", "Team", team["id"], {"member": [user["id"], None]}
    )


async def test_role_events(outbox: Outbox) -> None:
    role, event = await outbox.one(
        "createRole",
        CREATE_ROLE,
        input={"name": "triage", "description": "L1", "permissions": ["incident:view"]},
    )
    fields = {"name": "triage", "description": "L1", "permissions": ["incident:view"]}
    assert got(event) == expect(
        "role.created", "Role", role["id"], {k: [None, v] for k, v in fields.items()}
    )
    _, event = await outbox.one(
        "updateRole", UPDATE_ROLE, id=role["id"], input={"permissions": ["identity:view"]}
    )
    assert got(event) == expect(
        "role.updated", "Role", role["id"], {"permissions": [["incident:view"], ["identity:view"]]}
    )
    _, event = await outbox.one("deleteRole", DELETE_ROLE, id=role["id"])
    fields["permissions"] = ["identity:view"]
    assert got(event) == expect(
        "role.deleted", "Role", role["id"], {k: [v, None] for k, v in fields.items()}
    )


async def test_api_client_events(outbox: Outbox, registering: Callable[[], Context]) -> None:
    client_id = f"app-{uuid.uuid4().hex[:8]}"
    client, event = await outbox.one(
        "createApiClient", CREATE_CLIENT, input={"clientId": client_id}
    )
    assert got(event) == expect(
        "api_client.created",
        "ApiClient",
        client["id"],
        {"clientId": [None, client_id], "safelistOnly": [None, False]},
    )
    _, event = await outbox.one(
        "updateApiClient", UPDATE_CLIENT, c=client_id, input={"safelistOnly": True}
    )
    assert got(event) == expect(
        "api_client.updated", "ApiClient", client["id"], {"safelistOnly": [False, True]}
    )
    registered, event = await outbox.one(
        "registerPersistedOperations",
        REGISTER,
        registering(),
        input={"clientId": client_id, "manifest": MANIFEST},
    )
    assert registered["addedIds"] == ["team-count"]
    assert got(event) == expect(
        "api_client.operations_registered",
        "ApiClient",
        client["id"],
        {"persistedOperations": [None, ["team-count"]]},
    )


Setup = Callable[[Outbox], Awaitable[tuple[str, dict[str, Any]]]]


async def _user(outbox: Outbox, email: str = "ada@example.com") -> str:
    data, _ = await outbox.one("createUser", CREATE_USER, input={"name": "Ada", "email": email})
    return str(data["id"])


async def _team(outbox: Outbox) -> str:
    data, _ = await outbox.one("createTeam", CREATE_TEAM, input={"name": "NOC"})
    return str(data["id"])


async def _role(outbox: Outbox) -> str:
    data, _ = await outbox.one(
        "createRole", CREATE_ROLE, input={"name": "triage", "permissions": []}
    )
    return str(data["id"])


async def _client(outbox: Outbox) -> str:
    client_id = f"app-{uuid.uuid4().hex[:8]}"
    await outbox.one("createApiClient", CREATE_CLIENT, input={"clientId": client_id})
    return client_id


async def bad_user(outbox: Outbox) -> tuple[str, dict[str, Any]]:
    return CREATE_USER, {"input": {"name": "Ada", "email": "not-an-email"}}


async def taken_email(outbox: Outbox) -> tuple[str, dict[str, Any]]:
    await _user(outbox)
    return CREATE_USER, {"input": {"name": "Ada", "email": "ADA@example.com"}}


async def bad_user_change(outbox: Outbox) -> tuple[str, dict[str, Any]]:
    return UPDATE_USER, {"id": await _user(outbox), "input": {"active": False, "name": " "}}


async def bad_team(outbox: Outbox) -> tuple[str, dict[str, Any]]:
    return CREATE_TEAM, {"input": {"name": ""}}


async def unknown_member(outbox: Outbox) -> tuple[str, dict[str, Any]]:
    return ADD_MEMBER, {"t": await _team(outbox), "u": str(uuid.uuid4())}


async def malformed_member(outbox: Outbox) -> tuple[str, dict[str, Any]]:
    return ADD_MEMBER, {"t": await _team(outbox), "u": "nope"}


async def not_a_member(outbox: Outbox) -> tuple[str, dict[str, Any]]:
    return REMOVE_MEMBER, {"t": await _team(outbox), "u": await _user(outbox)}


async def bad_role(outbox: Outbox) -> tuple[str, dict[str, Any]]:
    return CREATE_ROLE, {"input": {"name": "Not A Name", "permissions": []}}


async def bad_role_change(outbox: Outbox) -> tuple[str, dict[str, Any]]:
    input = {"description": "changed", "permissions": ["nothing:at_all"]}
    return UPDATE_ROLE, {"id": await _role(outbox), "input": input}


async def malformed_role(outbox: Outbox) -> tuple[str, dict[str, Any]]:
    await _role(outbox)
    return DELETE_ROLE, {"id": "nope"}


async def bad_client(outbox: Outbox) -> tuple[str, dict[str, Any]]:
    return CREATE_CLIENT, {"input": {"clientId": " padded "}}


async def unknown_client(outbox: Outbox) -> tuple[str, dict[str, Any]]:
    await _client(outbox)
    return UPDATE_CLIENT, {"c": "nobody", "input": {"safelistOnly": True}}


@pytest.mark.parametrize(
    "setup,code",
    [
        (bad_user, "BAD_USER_INPUT"),
        (taken_email, "CONFLICT"),
        (bad_user_change, "BAD_USER_INPUT"),
        (bad_team, "BAD_USER_INPUT"),
        (unknown_member, "NOT_FOUND"),
        (malformed_member, "BAD_USER_INPUT"),
        (not_a_member, "NOT_FOUND"),
        (bad_role, "BAD_USER_INPUT"),
        (bad_role_change, "BAD_USER_INPUT"),
        (malformed_role, "BAD_USER_INPUT"),
        (bad_client, "BAD_USER_INPUT"),
        (unknown_client, "NOT_FOUND"),
    ],
)
async def test_a_refused_mutation_writes_no_event(outbox: Outbox, setup: Setup, code: str) -> None:
    query, variables = await setup(outbox)
    assert await outbox.none(query, **variables) == [code]


async def test_an_invalid_manifest_writes_no_event(
    outbox: Outbox, registering: Callable[[], Context]
) -> None:
    client_id = await _client(outbox)
    manifest = orjson.dumps({"bad": "{ teams { nope } }"}).decode()
    codes = await outbox.none(
        REGISTER, registering(), input={"clientId": client_id, "manifest": manifest}
    )
    assert codes == ["BAD_USER_INPUT"]


async def test_a_change_that_changes_nothing_writes_no_event(
    outbox: Outbox, registering: Callable[[], Context]
) -> None:
    user, team, role = await _user(outbox), await _team(outbox), await _role(outbox)
    client_id = await _client(outbox)
    await outbox.one("addTeamMember", ADD_MEMBER, t=team, u=user)
    assert await outbox.none(ADD_MEMBER, t=team, u=user) == []  # already a member
    assert await outbox.none(UPDATE_USER, id=user, input={"name": " Ada "}) == []
    assert await outbox.none(UPDATE_ROLE, id=role, input={"permissions": []}) == []
    assert await outbox.none(UPDATE_CLIENT, c=client_id, input={"safelistOnly": False}) == []
    input = {"clientId": client_id, "manifest": MANIFEST}
    await outbox.one("registerPersistedOperations", REGISTER, registering(), input=input)
    assert await outbox.none(REGISTER, registering(), input=input) == []  # already registered


def test_the_manifest_declares_every_kind() -> None:
    assert DOMAIN.event_kinds == {
        "user.created",
        "user.updated",
        "user.deactivated",
        "user.reactivated",
        "team.created",
        "team.member_added",
        "team.member_removed",
        "role.created",
        "role.updated",
        "role.deleted",
        "api_client.created",
        "api_client.updated",
        "api_client.operations_registered",
    }
