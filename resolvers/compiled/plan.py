"""Compiling one query document against a subgraph's schema into a tree of field plans.

A plan is built once per (document, operation name) and reused by every request sending
that document: field collection (fragments merged per concrete type), the field
definitions, how each field's value is read and how its type is completed are decided
here, so that running the plan does none of graphql-core's per-field bookkeeping.

Plain attribute fields (a Strawberry field without resolver or field extensions) compile
to an attribute getter; every other field keeps its resolver, called with a real
``GraphQLResolveInfo`` (arguments, permissions, loaders work as before). Documents the
compiled path does not cover (not a query, ``@skip``/``@include``/``@defer``, introspection,
validation errors) compile to ``None`` and run through the normal executor instead.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
    is_abstract_type,
    validate,
)

# Strawberry marks the resolver of a field without resolver or extensions like this, and
# keeps its field definition in the GraphQL field's extensions under this key.
_BASIC_RESOLVER_MARK = "_is_default"
_STRAWBERRY_DEFINITION = "strawberry-definition"


class Kind(Enum):
    NON_NULL = "non-null"
    LIST = "list"
    LEAF = "leaf"
    OBJECT = "object"
    ABSTRACT = "abstract"


@dataclass(slots=True, eq=False)
class TypePlan:
    """How to complete a value of one output type (wrappers nest through ``inner``)."""

    kind: Kind
    name: str = ""
    inner: TypePlan | None = None
    serialize: Callable[[Any], Any] | None = None
    fields: tuple[FieldPlan, ...] = ()  # OBJECT: its selected fields, in response order
    possible: dict[str, TypePlan] = field(default_factory=dict)  # ABSTRACT: per object type


@dataclass(slots=True, eq=False)
class FieldPlan:
    """One response key of an object: where its value comes from and how it completes."""

    key: str
    name: str
    nodes: list[FieldNode]
    parent_type: GraphQLObjectType
    definition: GraphQLField | None  # None for __typename
    type: TypePlan | None
    getter: Callable[[Any], Any] | None  # plain attribute fields
    non_null: bool
    # A plain attribute field of a scalar or enum type: serialised without the general
    # completion (most fields of a page).
    leaf: Callable[[Any], Any] | None = None


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """A compiled query operation of one document."""

    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    root: TypePlan


class Unsupported(Exception):
    """The document uses something the compiled path leaves to the normal executor."""


def compile_query(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> QueryPlan | None:
    """The plan of ``operation_name`` in ``document``, or None when the normal executor
    must run it (including every document that does not validate: its errors come from
    there)."""
    if validate(schema, document):
        return None
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    root_type = schema.query_type
    if root_type is None:
        return None
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    try:
        root = _Compiler(schema, fragments).object(root_type, [operation.selection_set])
    except Unsupported:
        return None
    return QueryPlan(operation, fragments, root)


class _Compiler:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments

    def object(
        self, object_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> TypePlan:
        grouped: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            self._collect(object_type, selection_set, grouped)
        return TypePlan(
            Kind.OBJECT,
            name=object_type.name,
            fields=tuple(self._field(object_type, key, nodes) for key, nodes in grouped.items()),
        )

    def _collect(
        self,
        object_type: GraphQLObjectType,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
    ) -> None:
        condition: NamedTypeNode | None
        for selection in selection_set.selections:
            if selection.directives:
                raise Unsupported("directives")
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                if fragment.directives:
                    raise Unsupported("directives")
                condition, selections = fragment.type_condition, fragment.selection_set
            else:
                assert isinstance(selection, InlineFragmentNode)
                condition, selections = selection.type_condition, selection.selection_set
            if condition is None or self._applies(condition.name.value, object_type):
                self._collect(object_type, selections, grouped)

    def _applies(self, condition: str, object_type: GraphQLObjectType) -> bool:
        if condition == object_type.name:
            return True
        condition_type = self.schema.get_type(condition)
        return isinstance(condition_type, GraphQLAbstractType) and self.schema.is_sub_type(
            condition_type, object_type
        )

    def _field(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> FieldPlan:
        name = nodes[0].name.value
        if name == "__typename":
            return FieldPlan(key, name, nodes, parent, None, None, None, non_null=True)
        if name.startswith("__"):
            raise Unsupported("introspection")
        definition = parent.fields[name]
        sub_selections = [node.selection_set for node in nodes if node.selection_set]
        completion = self.type(definition.type, sub_selections)
        getter = _attribute_getter(definition)
        leaf = completion.inner if completion.kind is Kind.NON_NULL else completion
        return FieldPlan(
            key,
            name,
            nodes,
            parent,
            definition,
            completion,
            getter,
            non_null=completion.kind is Kind.NON_NULL,
            leaf=leaf.serialize if getter is not None and leaf is not None else None,
        )

    def type(self, output: GraphQLOutputType, selection_sets: list[SelectionSetNode]) -> TypePlan:
        if isinstance(output, GraphQLNonNull):
            return TypePlan(Kind.NON_NULL, inner=self.type(output.of_type, selection_sets))
        if isinstance(output, GraphQLList):
            return TypePlan(Kind.LIST, inner=self.type(output.of_type, selection_sets))
        if isinstance(output, GraphQLScalarType | GraphQLEnumType):
            return TypePlan(Kind.LEAF, name=output.name, serialize=output.serialize)
        if isinstance(output, GraphQLObjectType):
            return self.object(output, selection_sets)
        assert is_abstract_type(output)
        return TypePlan(
            Kind.ABSTRACT,
            name=output.name,
            possible={
                possible.name: self.object(possible, selection_sets)
                for possible in self.schema.get_possible_types(output)  # type: ignore[arg-type]
            },
        )


def _attribute_getter(definition: GraphQLField) -> Callable[[Any], Any] | None:
    """A getter for a Strawberry field that only reads its source's attribute."""
    resolver = definition.resolve
    strawberry_field = (definition.extensions or {}).get(_STRAWBERRY_DEFINITION)
    if (
        resolver is None
        or not getattr(resolver, _BASIC_RESOLVER_MARK, False)
        or strawberry_field is None
        or strawberry_field.default_resolver is not getattr
    ):
        return None
    return operator.attrgetter(strawberry_field.python_name)
