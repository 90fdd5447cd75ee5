"""Which fields the compiled executor reads without Strawberry's per-call wrapper."""

from __future__ import annotations

import enum
import uuid
from types import SimpleNamespace
from typing import Any, cast

import pytest
import strawberry
from strawberry.extensions.field_extension import FieldExtension

from resolvers.errors import Forbidden
from resolvers.executor.direct_calls import attribute_name, direct_call, strawberry_calls
from resolvers.permissions import requires
from resolvers.principal import Principal
from resolvers.schema import subgraph_schema


class Logged(FieldExtension):
    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        return next_(source, info, **kwargs)


def _principal(*roles: str) -> Principal:
    permissions = frozenset({"thing:audit"}) if roles else frozenset()
    return Principal(
        uuid.uuid4(), roles=frozenset(roles), permissions=permissions, authenticated=True
    )


@strawberry.type
class Thing:
    name: str

    @strawberry.field
    def shout(self, suffix: str = "!") -> str:
        return self.name.upper() + suffix

    @strawberry.field(extensions=requires("thing:audit"))
    def audited(self) -> str:
        return "seen"

    @strawberry.field(extensions=[Logged()])
    def logged(self) -> str:
        return "logged"


@strawberry.enum
class Tone(enum.Enum):
    LOUD = "LOUD"
    SOFT = "SOFT"


@strawberry.input
class Filter:
    names: list[str]
    tone: Tone = Tone.LOUD
    limit: int | None = None


@strawberry.type
class Query:
    @strawberry.field
    def thing(self) -> Thing:
        return Thing(name="a")

    @strawberry.field
    def matching(self, filter: Filter, tones: list[Tone] | None = None) -> list[str]:
        found = [f"{name}:{filter.tone.value}" for name in filter.names]
        filter.names.append("changed by the resolver")  # must not reach the next call
        filter.tone = Tone.SOFT
        return found + [tone.value for tone in tones or ()]


SCHEMA = subgraph_schema(query=Query)._schema
FIELDS = SCHEMA.type_map["Thing"].fields


def test_a_plain_attribute_field_reads_its_attribute() -> None:
    assert attribute_name(FIELDS["name"]) == "name"


def test_a_resolver_field_is_called_directly_with_its_python_arguments() -> None:
    call = direct_call(FIELDS["shout"], strawberry_calls(SCHEMA))

    assert attribute_name(FIELDS["shout"]) is None
    assert call is not None
    arguments = call.arguments({"suffix": "?"})
    assert arguments == {"suffix": "?"}
    assert call(Thing(name="a"), cast(Any, None), arguments) == "A?"


def test_a_permission_check_is_made_by_the_direct_call() -> None:
    call = direct_call(FIELDS["audited"], strawberry_calls(SCHEMA))

    assert attribute_name(FIELDS["audited"]) is None
    assert call is not None
    allowed = SimpleNamespace(context=SimpleNamespace(principal=_principal("admin")))
    refused = SimpleNamespace(context=SimpleNamespace(principal=_principal()))
    assert call(Thing(name="a"), cast(Any, allowed), {}) == "seen"
    with pytest.raises(Forbidden):
        call(Thing(name="a"), cast(Any, refused), {})


def test_a_field_with_other_extensions_keeps_strawberrys_wrapper() -> None:
    assert direct_call(FIELDS["logged"], strawberry_calls(SCHEMA)) is None


def test_no_direct_call_without_a_strawberry_info_class() -> None:
    assert direct_call(FIELDS["shout"], None) is None


def test_input_objects_are_converted_as_strawberry_converts_them_once_per_value() -> None:
    call = direct_call(SCHEMA.query_type.fields["matching"], strawberry_calls(SCHEMA))  # type: ignore[union-attr]
    assert call is not None and call.conversion is not None
    values = {"filter": {"names": ["a", "b"], "tone": Tone.LOUD, "limit": None}}

    arguments = call.arguments(values)

    assert arguments == {"filter": Filter(names=["a", "b"], tone=Tone.LOUD, limit=None)}
    assert call.arguments({"filter": {"names": ["a", "b"], "tone": Tone.LOUD, "limit": None}})
    assert len(call.conversion.kept) == 1  # the same values: converted once
    call.arguments({"filter": {"names": ["a"], "tone": Tone.SOFT, "limit": 1}, "tones": None})
    call.arguments({"filter": {"names": ["a"], "tone": Tone.SOFT, "limit": True}})
    assert len(call.conversion.kept) == 3  # 1 and True told apart
    long = {"filter": {"names": ["x" * 5000], "tone": Tone.LOUD}}
    assert call.arguments(long) == {"filter": Filter(names=["x" * 5000], tone=Tone.LOUD)}
    assert len(call.conversion.kept) == 3  # what clients send large is not kept


def test_each_call_gets_its_own_input_objects() -> None:
    call = direct_call(SCHEMA.query_type.fields["matching"], strawberry_calls(SCHEMA))  # type: ignore[union-attr]
    assert call is not None
    values = {"filter": {"names": ["a"], "tone": Tone.LOUD}, "tones": [Tone.SOFT]}

    first = call(None, cast(Any, None), call.arguments(values))
    again = call(None, cast(Any, None), call.arguments(values))

    assert first == again == ["a:LOUD", "SOFT"]
    assert call.arguments(values)["filter"] == Filter(names=["a"], tone=Tone.LOUD)


async def test_input_objects_through_the_compiled_executor_answer_as_strawberry_does() -> None:
    query = "query($f: Filter!) { matching(filter: $f, tones: [LOUD]) }"
    variables = {"f": {"names": ["x", "y"], "tone": "SOFT"}}
    schema = subgraph_schema(query=Query)
    normal = await schema.execute(query, variable_values=variables)
    assert normal.errors is None and normal.data == {"matching": ["x:SOFT", "y:SOFT", "LOUD"]}
    for _ in range(2):  # the second with the kept conversion
        compiled = await schema.compiled.execute(query, variables, None, None)
        assert compiled == {"data": normal.data}
