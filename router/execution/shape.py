"""Shape the raw merged tree into the client's response, following the GraphQL spec.

Walks the normalised client operation (not the fetched data): response keys and field order
are the client's, injected ``__typename``/key fields disappear, ``@skip``/``@include`` are
evaluated, and a null in a non-null position nulls the nearest nullable parent. An enum value
the API schema lacks (an ``@inaccessible`` one a subgraph still returns) becomes null with an
error, as ``@apollo/gateway`` answers: it never reaches the client.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    VariableNode,
    is_abstract_type,
)

from router.execution.errors import router_error
from router.execution.transport import DOWNSTREAM_ERROR_CODE
from router.planning.operation import Field, NormalizedOperation, Selection

Path = tuple[str | int, ...]
# What an object value is shaped as: its object type, or the interface an @interfaceObject
# answered with when the concrete type was not needed.
_Shaped = GraphQLObjectType | GraphQLInterfaceType


class _Kind(enum.Enum):
    """How a selected field completes; leaves (most of a response) take a shortcut."""

    TYPENAME = "__typename"
    LEAF = "a nullable scalar: the subgraph's value as it is"
    NON_NULL_LEAF = "a non-null scalar: the value, unless it is missing"
    OTHER = "enums, objects and lists"


def _kind_of(field: Field) -> _Kind:
    if field.name == "__typename":
        return _Kind.TYPENAME
    output_type = field.output_type
    if isinstance(output_type, GraphQLScalarType):
        return _Kind.LEAF
    if isinstance(output_type, GraphQLNonNull) and isinstance(
        output_type.of_type, GraphQLScalarType
    ):
        return _Kind.NON_NULL_LEAF
    return _Kind.OTHER


class _Invalid:
    """Marker for "null in a non-null position": the parent must become null."""


INVALID = _Invalid()


def shape_response(
    schema: GraphQLSchema,
    operation: NormalizedOperation,
    data: dict[str, Any],
    variables: Mapping[str, Any],
    errors: list[dict[str, Any]],
) -> dict[str, Any] | None:
    """The client's ``data``; errors for nulls nobody explained are appended to ``errors``."""
    root = schema.get_type(operation.root_type)
    assert isinstance(root, GraphQLObjectType)
    return _Shaper(schema, variables, errors).object(root, operation.selections, data, ())


class _Shaper:
    def __init__(
        self, schema: GraphQLSchema, variables: Mapping[str, Any], errors: list[dict[str, Any]]
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.errors = errors
        self.error_paths: set[Path] = set()
        self.error_prefixes: set[Path] = set()
        # Every element of a list has the same selections: collect them once per type.
        # Keyed by identity, each entry keeps its key object alive so no id is reused.
        self._collected: dict[
            tuple[str, int], tuple[object, list[tuple[str, list[Field], _Kind]]]
        ] = {}
        self._children: dict[int, tuple[object, tuple[Selection, ...]]] = {}
        for error in errors:
            self._index(tuple(error.get("path") or ()))

    def object(
        self,
        object_type: _Shaped,
        selections: tuple[Selection, ...],
        raw: dict[str, Any],
        path: Path,
    ) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        for key, fields, kind in self._fields_of(object_type, selections):
            if kind is _Kind.LEAF:
                out[key] = raw.get(key)
                continue
            if kind is _Kind.TYPENAME:
                if not isinstance(object_type, GraphQLObjectType):
                    # The interface's owner did not say which implementation this is (it
                    # knows no such entity): the object is null, as in Apollo's gateway.
                    return None
                out[key] = object_type.name
                continue
            value = raw.get(key)
            if kind is _Kind.NON_NULL_LEAF and value is not None:
                out[key] = value
                continue
            value = self._complete(fields[0].output_type, fields, value, (*path, key))
            if value is INVALID:
                return None
            out[key] = value
        return out

    def _complete(
        self, output_type: GraphQLOutputType, fields: list[Field], value: Any, path: Path
    ) -> Any:
        if isinstance(output_type, GraphQLNonNull):
            completed = self._complete(output_type.of_type, fields, value, path)
            if completed is None:
                self._unexplained_null(fields[0], path)
                return INVALID
            return completed
        if value is None:
            return None
        if isinstance(output_type, GraphQLList):
            if not isinstance(value, list):
                return self._bad_value(fields[0], path, "a list")
            items = []
            for index, item in enumerate(value):
                completed = self._complete(output_type.of_type, fields, item, (*path, index))
                if completed is INVALID:
                    return None
                items.append(completed)
            return items
        if isinstance(output_type, GraphQLEnumType):
            if isinstance(value, str) and value in output_type.values:
                return value
            # A value the API schema lacks (``@inaccessible``, or unknown): never shown.
            self._add(
                router_error(
                    f"Invalid value found for field {fields[0].parent_type}.{fields[0].name}.",
                    DOWNSTREAM_ERROR_CODE,
                    path,
                )
            )
            return None
        if isinstance(output_type, GraphQLScalarType):
            return value
        if not isinstance(value, dict):
            return self._bad_value(fields[0], path, "an object")
        runtime = output_type
        typename = value.get("__typename")
        if typename is None and isinstance(output_type, GraphQLInterfaceType):
            pass  # from an @interfaceObject, which cannot tell: shaped as the interface
        elif is_abstract_type(output_type):
            runtime = self.schema.get_type(typename or "")  # type: ignore[assignment]
            # An @interfaceObject answers with the interface's name: only what the interface
            # itself declares applies (the planner fetched the concrete type where needed).
            if runtime is not output_type and (
                not isinstance(runtime, GraphQLObjectType)
                or not self.schema.is_sub_type(
                    output_type,  # type: ignore[arg-type]
                    runtime,
                )
            ):
                return self._bad_value(fields[0], path, f"a {output_type} with a known __typename")
        assert isinstance(runtime, _Shaped)
        return self.object(runtime, self._sub_selections(fields), value, path)

    def _fields_of(
        self, object_type: _Shaped, selections: tuple[Selection, ...]
    ) -> list[tuple[str, list[Field], _Kind]]:
        key = (object_type.name, id(selections))
        cached = self._collected.get(key)
        if cached is not None and cached[0] is selections:
            return cached[1]
        fields = [
            (response_key, grouped, _kind_of(grouped[0]))
            for response_key, grouped in self._collect(object_type, selections, {}).items()
        ]
        self._collected[key] = (selections, fields)
        return fields

    def _sub_selections(self, fields: list[Field]) -> tuple[Selection, ...]:
        cached = self._children.get(id(fields))
        if cached is not None and cached[0] is fields:
            return cached[1]
        selections = tuple(s for f in fields for s in f.selections)
        self._children[id(fields)] = (fields, selections)
        return selections

    def _collect(
        self,
        object_type: _Shaped,
        selections: tuple[Selection, ...],
        out: dict[str, list[Field]],
    ) -> dict[str, list[Field]]:
        for selection in selections:
            if not self._included(selection.directives):
                continue
            if isinstance(selection, Field):
                out.setdefault(selection.response_key, []).append(selection)
            elif self._applies(selection.type_condition, object_type):
                self._collect(object_type, selection.selections, out)
        return out

    def _applies(self, condition: str | None, object_type: _Shaped) -> bool:
        if condition is None or condition == object_type.name:
            return True
        condition_type = self.schema.get_type(condition)
        return is_abstract_type(condition_type) and self.schema.is_sub_type(
            condition_type,  # type: ignore[arg-type]
            object_type,
        )

    def _included(self, directives: tuple[DirectiveNode, ...]) -> bool:
        for directive in directives:
            condition = self._condition(directive)
            if directive.name.value == "skip" and condition:
                return False
            if directive.name.value == "include" and not condition:
                return False
        return True

    def _condition(self, directive: DirectiveNode) -> bool:
        for argument in directive.arguments or ():
            if argument.name.value != "if":
                continue
            if isinstance(argument.value, BooleanValueNode):
                return argument.value.value
            if isinstance(argument.value, VariableNode):
                return bool(self.variables.get(argument.value.name.value))
        return False

    def _unexplained_null(self, field: Field, path: Path) -> None:
        """Add an error for a non-null field left null, unless an error already explains it.

        Errors for fields the router pruned name list elements ``@`` (any index)."""
        if any(
            candidate in self.error_prefixes
            or any(candidate[:length] in self.error_paths for length in range(len(candidate)))
            for candidate in (path, _any_index(path))
        ):
            return
        self._add(
            router_error(
                f"Cannot return null for non-nullable field {field.parent_type}.{field.name}.",
                DOWNSTREAM_ERROR_CODE,
                path,
            )
        )

    def _bad_value(self, field: Field, path: Path, expected: str) -> None:
        self._add(
            router_error(
                f"Subgraph returned an invalid value for {field.parent_type}.{field.name}: "
                f"expected {expected}.",
                DOWNSTREAM_ERROR_CODE,
                path,
            )
        )

    def _add(self, error: dict[str, Any]) -> None:
        self.errors.append(error)
        self._index(tuple(error.get("path") or ()))

    def _index(self, path: Path) -> None:
        self.error_paths.add(path)
        for length in range(len(path) + 1):
            self.error_prefixes.add(path[:length])


def _any_index(path: Path) -> Path:
    return tuple("@" if isinstance(segment, int) else segment for segment in path)
