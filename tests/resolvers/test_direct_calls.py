"""Which fields the compiled executor reads without Strawberry's per-call wrapper."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any, cast

import pytest
import strawberry
from strawberry.extensions.field_extension import FieldExtension

from resolvers.errors import Forbidden
from resolvers.executor.direct_calls import attribute_name, direct_call, direct_info_class
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


@strawberry.type
class Query:
    @strawberry.field
    def thing(self) -> Thing:
        return Thing(name="a")


SCHEMA = subgraph_schema(query=Query)._schema
FIELDS = SCHEMA.type_map["Thing"].fields


def test_a_plain_attribute_field_reads_its_attribute() -> None:
    assert attribute_name(FIELDS["name"]) == "name"


def test_a_resolver_field_is_called_directly_with_its_python_arguments() -> None:
    call = direct_call(FIELDS["shout"], direct_info_class(SCHEMA))

    assert attribute_name(FIELDS["shout"]) is None
    assert call is not None
    arguments = call.arguments({"suffix": "?"})
    assert arguments == {"suffix": "?"}
    assert call(Thing(name="a"), cast(Any, None), arguments) == "A?"


def test_a_permission_check_is_made_by_the_direct_call() -> None:
    call = direct_call(FIELDS["audited"], direct_info_class(SCHEMA))

    assert attribute_name(FIELDS["audited"]) is None
    assert call is not None
    allowed = SimpleNamespace(context=SimpleNamespace(principal=_principal("admin")))
    refused = SimpleNamespace(context=SimpleNamespace(principal=_principal()))
    assert call(Thing(name="a"), cast(Any, allowed), {}) == "seen"
    with pytest.raises(Forbidden):
        call(Thing(name="a"), cast(Any, refused), {})


def test_a_field_with_other_extensions_keeps_strawberrys_wrapper() -> None:
    assert direct_call(FIELDS["logged"], direct_info_class(SCHEMA)) is None


def test_no_direct_call_without_a_strawberry_info_class() -> None:
    assert direct_call(FIELDS["shout"], None) is None
