"""The compiled executor reading ahead (resolvers/batching.py): a by-id batched field of
objects named by id is resolved once, for the ids, before the objects are; unless its
permission check depends on the object, or its batch fails."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
import strawberry
from strawberry.permission import BasePermission, PermissionExtension

from resolvers.batching import batched, read_by_id
from resolvers.errors import BadUserInput
from resolvers.permissions import requires
from resolvers.schema import subgraph_schema
from tests.resolvers.test_compiled_execution import Context

# This module compares the two executors itself, and counts the batches each makes.
pytestmark = pytest.mark.compiled_unchecked

# Per batch, the class of the objects it was given and their ids.
BATCHES: list[tuple[str, list[str]]] = []


async def notes_of(things: Sequence[Any], info: strawberry.Info, fail: bool = False) -> list[Any]:
    BATCHES.append((type(things[0]).__name__, [thing.id for thing in things]))
    await asyncio.sleep(0)
    if fail:
        raise BadUserInput("no notes today", argument="fail")
    return [[f"{thing.id}-note"] for thing in things]


class OddOnly(BasePermission):
    """A check whose answer depends on the object: odd ids only."""

    message = "Only odd things"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return int(source.id) % 2 == 1


@strawberry.federation.type(keys=["id"])
class Thing:
    id: strawberry.ID

    @strawberry.field(metadata=batched(notes_of, by_id=True))
    async def notes(self, info: strawberry.Info, fail: bool = False) -> list[str]:
        return (await notes_of([self], info, fail))[0]  # type: ignore[no-any-return]

    @strawberry.field(extensions=requires("incident:view"), metadata=batched(notes_of, by_id=True))
    async def viewed_notes(self, info: strawberry.Info) -> list[str]:
        return (await notes_of([self], info))[0]  # type: ignore[no-any-return]

    @strawberry.field(
        extensions=[PermissionExtension([OddOnly()])], metadata=batched(notes_of, by_id=True)
    )
    async def odd_notes(self, info: strawberry.Info) -> list[str]:
        return (await notes_of([self], info))[0]  # type: ignore[no-any-return]

    @strawberry.field(metadata=batched(notes_of))
    async def other_notes(self, info: strawberry.Info) -> list[str]:
        return (await notes_of([self], info))[0]  # type: ignore[no-any-return]

    @classmethod
    async def resolve_references(
        cls, info: strawberry.Info, representations: Sequence[dict[str, Any]]
    ) -> list[Thing | None]:
        await asyncio.sleep(0)
        return [None if r["id"] == "0" else Thing(id=r["id"]) for r in representations]


@strawberry.type
class Query:
    @strawberry.field(metadata=read_by_id())
    async def thing(self, id: strawberry.ID) -> Thing | None:
        await asyncio.sleep(0)
        return None if id == "0" else Thing(id=id)


schema = subgraph_schema(query=Query, types=[Thing])


async def both(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The compiled executor's answer, checked against the normal executor's."""
    result = await schema.execute(query, variable_values=variables, context_value=Context())
    expected: dict[str, Any] = {"data": result.data}
    if result.errors:
        expected["errors"] = [error.formatted for error in result.errors]
    BATCHES.clear()
    compiled = await schema.compiled.execute(query, variables, None, Context())
    assert compiled == expected
    return compiled


async def test_a_thing_named_by_id_has_its_notes_read_ahead_once() -> None:
    answer = await both('{ thing(id: "3") { notes viewedNotes otherNotes } }')
    assert answer["data"]["thing"]["notes"] == ["3-note"]
    # notes and viewedNotes read ahead for the id alone; otherNotes (not by id) after.
    assert sorted(BATCHES) == [("Thing", ["3"]), ("_Known", ["3"]), ("_Known", ["3"])]


async def test_entities_have_their_notes_read_ahead_once_per_type() -> None:
    representations = [{"__typename": "Thing", "id": str(n)} for n in (1, 2, 1, 0)]
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { notes } } }"
    answer = await both(query, {"r": representations})
    assert [e and e["notes"] for e in answer["data"]["_entities"]] == [
        ["1-note"],
        ["2-note"],
        ["1-note"],
        None,
    ]
    assert BATCHES == [("_Known", ["1", "2", "0"])]  # each id once; nothing after


async def test_a_check_that_depends_on_the_object_waits_for_the_object() -> None:
    answer = await both('{ odd: thing(id: "3") { oddNotes } even: thing(id: "4") { oddNotes } }')
    assert answer["data"]["odd"] == {"oddNotes": ["3-note"]}
    assert [e["path"] for e in answer["errors"]] == [["even", "oddNotes"]]
    assert sorted(BATCHES) == [("Thing", ["3"])]  # read with the object, the refused never


async def test_a_failed_read_ahead_is_dropped_and_the_field_fails_once_as_without() -> None:
    answer = await both('{ thing(id: "3") { notes(fail: true) } }')
    assert [(e["path"], e["extensions"]["code"]) for e in answer["errors"]] == [
        (["thing", "notes"], "BAD_USER_INPUT")
    ]
    assert BATCHES == [("_Known", ["3"]), ("Thing", ["3"])]


async def test_nothing_is_read_for_no_object() -> None:
    answer = await both('{ thing(id: "0") { notes } }')
    assert answer == {"data": {"thing": None}}
    assert BATCHES == [("_Known", ["0"])]  # read ahead with it, dropped with it
