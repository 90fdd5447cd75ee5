"""Statements built once per the values they are built from (resolvers/built_statements.py)."""

from __future__ import annotations

import enum
import gc
import uuid
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
from sqlalchemy import Select, column, select, table

from resolvers import built_statements
from resolvers.built_statements import built_once, derived
from resolvers.errors import BadUserInput
from resolvers.ids import parse_id

ITEMS = table("items", column("id"), column("state"), column("owner"), column("at"))


@strawberry.enum
class State(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


@strawberry.input
class Narrowing:
    states: list[State] | None = None
    owner: strawberry.ID | None = None
    since: datetime | None = None
    extra: strawberry.scalars.JSON | None = None  # type: ignore[valid-type]


BUILDS: list[Any] = []


def narrowed(columns: frozenset[str], f: Narrowing | None) -> Select[Any]:
    BUILDS.append(f)
    query = select(*(ITEMS.c[name] for name in sorted(columns)))
    if f is None:
        return query
    if f.states:
        query = query.where(ITEMS.c.state.in_([state.value for state in f.states]))
    if f.owner is not None:
        query = query.where(ITEMS.c.owner == parse_id(f.owner, "filter.owner"))
    if f.since is not None:
        query = query.where(ITEMS.c.at >= f.since)
    return query


@pytest.fixture(autouse=True)
def fresh() -> None:
    BUILDS.clear()


def test_the_same_values_give_the_same_statement() -> None:
    columns = frozenset({"id", "state"})
    owner = str(uuid.uuid4())
    first = built_once(narrowed, columns, Narrowing(states=[State.OPEN], owner=owner))
    again = built_once(narrowed, columns, Narrowing(states=[State.OPEN], owner=owner))
    assert again is first and len(BUILDS) == 1
    since = datetime(2026, 1, 1, tzinfo=UTC)
    others = [
        built_once(narrowed, columns, Narrowing(states=[State.CLOSED], owner=owner)),
        built_once(narrowed, columns, Narrowing(states=[State.OPEN, State.CLOSED], owner=owner)),
        built_once(narrowed, columns, Narrowing(states=[State.OPEN])),
        built_once(narrowed, columns, Narrowing(states=[State.OPEN], owner=owner, since=since)),
        built_once(narrowed, frozenset({"id"}), Narrowing(states=[State.OPEN], owner=owner)),
        built_once(narrowed, columns, None),
    ]
    assert len({id(statement) for statement in [first, *others]}) == 7
    assert len(BUILDS) == 7
    # Each is the statement of its own values.
    assert str(others[2].compile()).count("items.owner") == 0
    assert "items.at >=" in str(others[3].compile())


def test_what_is_not_a_value_is_built_every_time() -> None:
    columns = frozenset({"id"})
    one = built_once(narrowed, columns, Narrowing(extra={"a": 1}))
    two = built_once(narrowed, columns, Narrowing(extra={"a": 1}))
    assert one is not two and len(BUILDS) == 2


def test_a_build_that_raises_is_not_kept() -> None:
    columns = frozenset({"id"})
    for _ in range(2):
        with pytest.raises(BadUserInput):
            built_once(narrowed, columns, Narrowing(owner="not-an-id"))
    assert len(BUILDS) == 2


def test_the_least_recently_used_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(built_statements, "KEPT", 2)
    monkeypatch.setattr(built_statements, "_BUILT", OrderedDict())
    columns = frozenset({"id"})
    owners = [str(uuid.uuid4()) for _ in range(3)]
    first = built_once(narrowed, columns, Narrowing(owner=owners[0]))
    built_once(narrowed, columns, Narrowing(owner=owners[1]))
    assert built_once(narrowed, columns, Narrowing(owner=owners[0])) is first  # used again
    built_once(narrowed, columns, Narrowing(owner=owners[2]))  # drops owners[1]'s
    assert built_once(narrowed, columns, Narrowing(owner=owners[0])) is first
    built_once(narrowed, columns, Narrowing(owner=owners[1]))
    assert len(BUILDS) == 4


def test_a_derived_statement_is_kept_as_long_as_its_base() -> None:
    def limited(base: Select[Any], size: int) -> Select[Any]:
        BUILDS.append(size)
        return base.limit(size)

    base = select(ITEMS.c.id)
    page = derived(base, limited, 10)
    assert derived(base, limited, 10) is page
    assert derived(base, limited, 20) is not page
    assert derived(select(ITEMS.c.id), limited, 10) is not page  # another base
    assert BUILDS == [10, 20, 10]
    kept = len(built_statements._DERIVED)
    del base, page
    gc.collect()
    assert len(built_statements._DERIVED) < kept
