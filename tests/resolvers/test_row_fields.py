"""Types built from rows (``RowFields.read``): filling an instance's ``__dict__`` where that
is what the dataclass's ``__init__`` would do, calling ``__init__`` where it does more."""

from __future__ import annotations

import collections
import dataclasses
from typing import Any

import strawberry

from resolvers.columns import RowFields

Row = collections.namedtuple("Row", ["id", "title"])


@strawberry.type
class Plain:
    id: strawberry.ID
    title: str | None
    note: str | None = "none"

    @strawberry.field
    def shout(self) -> str:  # a resolver field: not an __init__ argument
        return (self.title or "").upper()


@strawberry.type
class WithFactory:
    id: strawberry.ID
    title: str | None
    tags: list[str] = dataclasses.field(default_factory=list)


@strawberry.type
class WithPostInit:
    id: strawberry.ID
    title: str | None

    def __post_init__(self) -> None:
        self.title = (self.title or "").strip()


def built_both_ways(type_: type, row: Any) -> tuple[Any, Any]:
    fields = RowFields(type_, {"id": ("id", str), "title": "title"})
    read = fields.read(row)
    return read, type_(id=str(row.id), title=row.title)


def test_a_plain_dataclass_is_built_as_its_init_would_build_it() -> None:
    read, made = built_both_ways(Plain, Row(1, "down"))
    assert type(read) is Plain and vars(read) == vars(made) == {
        "id": "1",
        "title": "down",
        "note": "none",
    }
    assert read.shout() == "DOWN"


def test_types_whose_init_does_more_are_built_by_it() -> None:
    for type_ in (WithFactory, WithPostInit):
        read, made = built_both_ways(type_, Row(2, " up "))
        assert vars(read) == vars(made)
    assert built_both_ways(WithPostInit, Row(3, " x "))[0].title == "x"


def test_unread_attributes_are_none() -> None:
    fields = RowFields(Plain, {"id": ("id", str), "title": "title"})
    read = fields.read(collections.namedtuple("Row", ["id"])(4))
    assert vars(read) == {"id": "4", "title": None, "note": "none"}


@strawberry.type
class Wide:
    id: strawberry.ID
    a: str | None
    b: str | None
    c: str | None
    d: int = 7


def test_a_few_columns_of_many_attributes_fill_a_copy_of_the_rest() -> None:
    fields = RowFields(Wide, {"id": ("id", str), "a": "a", "b": "b", "c": "c"})
    Short = collections.namedtuple("Short", ["id"])
    first, second = fields.read(Short(1)), fields.read(Short(2))
    assert vars(first) == vars(Wide(id="1", a=None, b=None, c=None))  # type: ignore[arg-type]
    first.a = "changed"  # each instance its own attributes, not a shared template
    assert vars(second) == {"a": None, "b": None, "c": None, "d": 7, "id": "2"}
