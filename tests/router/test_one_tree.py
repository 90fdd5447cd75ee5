"""One tree: the operations OpsGraph's clients send most are answered from the merged tree
itself, tidied at the entity paths only, and the answer is the shaped one byte for byte.

Every in-process response of the suite is compared with the shaped one
(tests/one_tree_check.py); these tests pin which operations take the one-tree path, and the
cases that must fall back to shaping: errors, nulls across a subgraph boundary, ``@skip``."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import update

from opsgraph.domains import REGISTRY
from opsgraph.server import build_gateway
from resolvers.context import Context
from router.execution import PlanExecution
from router.execution.one_tree import Append, AtMerge, OneTree, Position, _append, finish
from router.execution.tree import merge_in_order
from router.gateway import Gateway
from router.pipeline.execute import PlanRunner
from router.pipeline.results import Prepared
from subgraphs.incidents import tables
from tests.opsgraph.test_statement_counts import PAGE, seeded_tenant


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    return build_gateway()


@pytest.fixture
def finished(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Per response of the test: whether the merged tree was the answer (True) or it was
    shaped after all (False: by ``finish``, or already as the answers were merged, the
    execution ``untidy``); plans the one-tree path does not cover record nothing."""
    taken: list[bool] = []

    def recording(
        tree: OneTree, data: dict[str, Any], tidied: AtMerge | None = None
    ) -> dict[str, Any] | None:
        answer = finish(tree, data, tidied)
        taken.append(answer is not None)
        return answer

    respond = PlanRunner.respond

    def responding(
        runner: PlanRunner, prepared: Prepared, execution: PlanExecution
    ) -> dict[str, Any]:
        if execution.untidy:
            taken.append(False)
        return respond(runner, prepared, execution)

    monkeypatch.setattr("router.pipeline.execute.finish", recording)
    monkeypatch.setattr(PlanRunner, "respond", responding)
    return taken


DETAIL = """
query($id: ID!) {
  incident(id: $id) {
    __typename
    ref: number
    assignee { email who: name __typename id }
    title
    comments(last: 2) { author { id name } body }
    team { name id }
  }
}"""


async def test_a_page_is_its_merged_tree(
    gateway: Gateway, owner_sessions: Any, tenant_id: Any, new_context: Any, finished: list[bool]
) -> None:
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    result = await gateway.execute(PAGE, {"first": 20}, None, new_context(seeded))

    assert "errors" not in result
    assert finished == [True]
    nodes = [edge["node"] for edge in result["data"]["incidents"]["edges"]]
    assert all(
        list(node)
        == ["number", "title", "tags", "customFields", "assignee", "team", "reporter", "comments"]
        for node in nodes
    )
    assigned = [node["assignee"] for node in nodes if node["assignee"]]
    assert assigned and all(list(user) == ["name", "email"] for user in assigned)


async def test_entity_answers_after_the_objects_keys_are_appended_not_rewritten(
    gateway: Gateway,
    owner_sessions: Any,
    tenant_id: Any,
    new_context: Any,
    finished: list[bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page's users and teams hold the stub's ``__typename`` and ``id``, which only the
    entity fetch needed, then get the identity subgraph's fields, in the client's order:
    those keys go and the answer is appended; no object is rewritten."""
    rewritten: list[dict[str, Any]] = []

    def rewriting(target: dict[str, Any], source: dict[str, Any], keys: tuple[str, ...]) -> bool:
        rewritten.append(target)
        return merge_in_order(target, source, keys)

    monkeypatch.setattr("router.execution.executor.merge_in_order", rewriting)
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    result = await gateway.execute(PAGE, {"first": 20}, None, new_context(seeded))

    assert "errors" not in result
    assert finished == [True]
    assert rewritten == []
    nodes = [edge["node"] for edge in result["data"]["incidents"]["edges"]]
    assigned = [node["assignee"] for node in nodes if node["assignee"]]
    assert assigned and all(list(user) == ["name", "email"] for user in assigned)
    assert all(list(node["team"]) == ["name"] for node in nodes if node["team"])
    authors = [c["author"] for node in nodes for c in node["comments"] if c["author"]]
    assert authors and all(list(author) == ["name"] for author in authors)


async def test_entity_answers_stand_in_the_stubs_places(
    gateway: Gateway, owner_sessions: Any, tenant_id: Any, new_context: Any, finished: list[bool]
) -> None:
    """Where the client selects none of a stub's keys, the entity's answer takes the stub's
    place, nothing copied: every place of one user at one path holds the same object, the
    identity subgraph's answer itself where it holds just what that path selects (assignees:
    name and email), else one copy of what the path selects (a reporter or a comment's
    author: the name alone, from the same fetch)."""
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    result = await gateway.execute(PAGE, {"first": 60}, None, new_context(seeded))

    assert "errors" not in result
    assert finished == [True]
    nodes = [edge["node"] for edge in result["data"]["incidents"]["edges"]]
    for path in ("assignee", "reporter"):
        places: dict[str, set[int]] = {}
        for node in nodes:
            if node[path] is not None:
                places.setdefault(node[path]["name"], set()).add(id(node[path]))
        assert max(len(objects) for objects in places.values()) == 1  # one object per user
        assert len(places) < sum(1 for node in nodes if node[path] is not None)  # and shared
    assignees = {node["assignee"]["name"]: node["assignee"] for node in nodes if node["assignee"]}
    reporters = {node["reporter"]["name"]: node["reporter"] for node in nodes if node["reporter"]}
    assert all(list(user) == ["name", "email"] for user in assignees.values())
    assert all(list(user) == ["name"] for user in reporters.values())
    both = assignees.keys() & reporters.keys()
    assert both and all(assignees[name] is not reporters[name] for name in both)
    authors = [c["author"] for node in nodes for c in node["comments"] if c["author"]]
    assert authors and all(list(author) == ["name"] for author in authors)


async def test_an_entity_fetch_with_errors_leaves_the_stubs_in_place(
    gateway: Gateway,
    owner_sessions: Any,
    tenant_id: Any,
    new_context: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An error of an entity fetch names the objects waiting for it, found where they stand:
    then no answer takes their places, and the error is reported at each of them."""
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    send = PlanExecution._send

    async def failing_names(
        self: PlanExecution, fetch: Any, variables: Any, own: Any = None
    ) -> Any:
        response = await send(self, fetch, variables, own)
        if own is not None and response.data:
            answers = response.data["_entities"]
            first = next(i for i, answer in enumerate(answers) if answer and "email" in answer)
            response.errors.append({"message": "no name", "path": ["_entities", first, "email"]})
        return response

    monkeypatch.setattr(PlanExecution, "_send", failing_names)
    result = await gateway.execute(PAGE, {"first": 60}, None, new_context(seeded))

    paths = [error["path"] for error in result["errors"]]
    assert paths and all(path[-2:] == ["assignee", "email"] for path in paths)
    nodes = [edge["node"] for edge in result["data"]["incidents"]["edges"]]
    assert all(list(n["assignee"]) == ["name", "email"] for n in nodes if n["assignee"])


def test_answers_interleaved_with_the_objects_keys_are_merged_in_order() -> None:
    stub = ("__typename", "id")
    assert _append(stub, ("name",)) == Append(stub, stub, ("name",))
    assert _append(stub, ("id", "name")) == Append(stub, ("__typename",), ("name",))
    assert _append(stub, ("name", "id")) is None  # the answer's name goes before id


async def test_aliases_typenames_and_interleaved_keys_keep_the_clients_order(
    gateway: Gateway, owner_sessions: Any, tenant_id: Any, new_context: Any, finished: list[bool]
) -> None:
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    page = await gateway.execute(PAGE, {"first": 50}, None, new_context(seeded))
    number = next(
        edge["node"]["number"]
        for edge in page["data"]["incidents"]["edges"]
        if edge["node"]["assignee"] and edge["node"]["team"]
    )
    found = await gateway.execute(
        "query($n: String!) { incidentByNumber(number: $n) { id } }",
        {"n": number},
        None,
        new_context(seeded),
    )
    incident_id = found["data"]["incidentByNumber"]["id"]

    result = await gateway.execute(DETAIL, {"id": incident_id}, None, new_context(seeded))

    assert "errors" not in result
    assert finished[-1] is True
    incident = result["data"]["incident"]
    assert list(incident) == ["__typename", "ref", "assignee", "title", "comments", "team"]
    assert list(incident["assignee"]) == ["email", "who", "__typename", "id"]
    assert incident["assignee"]["__typename"] == "User"
    assert list(incident["team"]) == ["name", "id"]


async def test_an_entity_nobody_finds_is_shaped_with_its_null(
    gateway: Gateway,
    owner_sessions: Any,
    tenant_id: Any,
    new_context: Any,
    finished: list[bool],
) -> None:
    """An assignee id identity does not know (written before references were checked): the
    merged tree lacks the user's fields, so the response is shaped, nulls propagated."""
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    async with owner_sessions() as session, session.begin():
        await session.execute(
            update(tables.Incident)
            .where(tables.Incident.tenant_id == seeded)
            .values(assignee_id=uuid.uuid4())
        )

    result = await gateway.execute(PAGE, {"first": 3}, None, new_context(seeded))

    assert finished == [False]
    assert [edge["node"]["assignee"] for edge in result["data"]["incidents"]["edges"]] == [
        None,
        None,
        None,
    ]


async def test_errors_and_conditional_fields_are_shaped(
    gateway: Gateway, owner_sessions: Any, tenant_id: Any, new_context: Any, finished: list[bool]
) -> None:
    seeded = await seeded_tenant(owner_sessions, tenant_id)

    refused = await gateway.execute(
        "query { incidents(pagination: {first: 2}) { edges { node { title "
        "comments(last: 500) { body } assignee { name } } } } }",
        None,
        None,
        new_context(seeded),
    )
    conditional = await gateway.execute(
        "query($all: Boolean!) { incidents(pagination: {first: 2}) { edges { node { "
        "title assignee @include(if: $all) { name } } } } }",
        {"all": False},
        None,
        new_context(seeded),
    )

    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert all("assignee" not in edge["node"] for edge in conditional["data"]["incidents"]["edges"])
    assert finished == []  # an error, and a plan with @include: neither reaches `finish`


def test_tidying_never_touches_a_tree_it_gives_up_on() -> None:
    tree = OneTree((Position(("a", "@", "u"), ("name", "email")),))
    shared = {"__typename": "User", "id": "1", "name": "Ada"}
    data = {"a": [{"u": shared}, {"u": {"id": "2", "email": "b@x", "name": "B"}}]}

    assert finish(tree, data) is None  # the first user lacks email
    assert data["a"][0]["u"] == {"__typename": "User", "id": "1", "name": "Ada"}

    shared["email"] = "a@x"
    assert finish(tree, data) == {
        "a": [{"u": {"name": "Ada", "email": "a@x"}}, {"u": {"name": "B", "email": "b@x"}}]
    }


def test_one_object_at_two_paths_selecting_differently_is_shaped() -> None:
    shared = {"__typename": "Team", "id": "t", "name": "Ops", "size": 3}
    data = {"x": {"team": shared}, "y": {"team": shared}}
    tree = OneTree((Position(("x", "team"), ("name",)), Position(("y", "team"), ("size",))))

    assert finish(tree, data) is None
    assert shared == {"__typename": "Team", "id": "t", "name": "Ops", "size": 3}


async def test_introspection_beside_data_is_shaped(
    gateway: Gateway, owner_sessions: Any, tenant_id: Any, new_context: Any, finished: list[bool]
) -> None:
    seeded = await seeded_tenant(owner_sessions, tenant_id)

    result = await gateway.execute(
        "{ __schema { queryType { name } } incidents(pagination: {first: 1}) "
        "{ edges { node { title assignee { name } } } } }",
        None,
        None,
        new_context(seeded),
    )

    assert "errors" not in result
    assert result["data"]["__schema"] == {"queryType": {"name": "Query"}}
    assert finished == []


async def test_masked_fields_reach_the_tree_masked(
    gateway: Gateway, owner_sessions: Any, tenant_id: Any, sessions: Any, finished: list[bool]
) -> None:
    """A viewer (no pii:view) gets the page from the merged tree, e-mails masked."""
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    viewer = REGISTRY.roles.principal(seeded, frozenset({"viewer"}), authenticated=True)
    context = Context.open(sessions, principal=viewer)
    try:
        result = await gateway.execute(PAGE, {"first": 20}, None, context)
    finally:
        await context.close()

    assert "errors" not in result
    assert finished == [True]
    emails = [
        edge["node"]["assignee"]["email"]
        for edge in result["data"]["incidents"]["edges"]
        if edge["node"]["assignee"]
    ]
    assert emails and all("*" in email for email in emails)
