"""Which fields the compiled executor reads without Strawberry's per-call wrapper."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import strawberry

from resolvers.executor.direct_calls import attribute_getter, direct_call, direct_info_class
from resolvers.permissions import requires
from resolvers.schema import subgraph_schema


@strawberry.type
class Thing:
    name: str

    @strawberry.field
    def shout(self, suffix: str = "!") -> str:
        return self.name.upper() + suffix

    @strawberry.field(extensions=requires("thing:audit"))
    def audited(self) -> str:
        return "seen"


@strawberry.type
class Query:
    @strawberry.field
    def thing(self) -> Thing:
        return Thing(name="a")


SCHEMA = subgraph_schema(query=Query)._schema
FIELDS = SCHEMA.type_map["Thing"].fields


def test_a_plain_attribute_field_reads_its_attribute() -> None:
    getter = attribute_getter(FIELDS["name"])

    assert getter is not None
    assert getter(SimpleNamespace(name="read")) == "read"


def test_a_resolver_field_is_called_directly_with_its_python_arguments() -> None:
    call = direct_call(FIELDS["shout"], direct_info_class(SCHEMA))

    assert attribute_getter(FIELDS["shout"]) is None
    assert call is not None
    arguments = call.arguments({"suffix": "?"})
    assert arguments == {"suffix": "?"}
    assert call(Thing(name="a"), cast(Any, None), arguments) == "A?"


def test_a_field_with_extensions_keeps_strawberrys_wrapper() -> None:
    assert attribute_getter(FIELDS["audited"]) is None
    assert direct_call(FIELDS["audited"], direct_info_class(SCHEMA)) is None


def test_no_direct_call_without_a_strawberry_info_class() -> None:
    assert direct_call(FIELDS["shout"], None) is None
