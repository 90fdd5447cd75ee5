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

import builtins
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import strawberry
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
    GraphQLResolveInfo,
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
from graphql.type.scalars import specified_scalar_types
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField

from resolvers.batching import BATCH, BatchResolver

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
    # OBJECT: the batched fields reached from this object through plain attribute fields
    # (no list, no resolver between): each as that chain of fields and the batched field.
    batches: tuple[tuple[tuple[FieldPlan, ...], FieldPlan], ...] = ()


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
    # completion (most fields of a page); values of exactly type ``plain`` are not even
    # serialised (a str for String).
    leaf: Callable[[Any], Any] | None = None
    plain: builtins.type | None = None  # (`type` is a field's name here)
    # A plain attribute field of an object type: its object completes field by field
    # without the general completion.
    object_plan: TypePlan | None = None
    # A resolver the runner may call itself, without Strawberry's per-call wrapper.
    direct: DirectCall | None = None
    # Its resolver for many objects at once (resolvers/batching.py), when declared.
    batch: BatchResolver | None = None


@dataclass(frozen=True, slots=True)
class DirectCall:
    """A Strawberry resolver called as Strawberry would call it, minus the per-call work it
    needs only for field extensions and input conversion: fields with extensions (a
    permission check) or with arguments other than built-in scalars never get one.

    ``python_names`` maps the GraphQL argument names to the resolver's parameters."""

    field: StrawberryField
    function: Callable[..., Any]
    python_names: dict[str, str]
    pass_self: bool
    source_parameters: tuple[str, ...]
    info_parameter: str | None
    info_class: type[strawberry.Info]

    def arguments(self, values: dict[str, Any]) -> dict[str, Any]:
        """The resolver's keyword arguments from the coerced GraphQL argument values."""
        return {self.python_names[name]: value for name, value in values.items()}

    def __call__(self, source: Any, info: GraphQLResolveInfo, arguments: dict[str, Any]) -> Any:
        kwargs = dict(arguments)
        for name in self.source_parameters:
            kwargs[name] = source
        if self.info_parameter is not None:
            kwargs[self.info_parameter] = self.info_class(_raw_info=info, _field=self.field)
        if self.pass_self:
            return self.function(source, **kwargs)
        return self.function(**kwargs)


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
        self.info_class = _direct_info_class(schema)

    def object(
        self, object_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> TypePlan:
        grouped: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            self._collect(object_type, selection_set, grouped)
        fields = tuple(self._field(object_type, key, nodes) for key, nodes in grouped.items())
        return TypePlan(Kind.OBJECT, name=object_type.name, fields=fields, batches=_batches(fields))

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
        direct = self._direct_call(definition) if getter is None else None
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
            plain=_already_serialised(leaf) if getter is not None else None,
            object_plan=leaf if getter is not None and leaf and leaf.kind is Kind.OBJECT else None,
            direct=direct,
            batch=direct.field.metadata.get(BATCH) if direct is not None else None,
        )

    def _direct_call(self, definition: GraphQLField) -> DirectCall | None:
        strawberry_field = (definition.extensions or {}).get(_STRAWBERRY_DEFINITION)
        if (
            self.info_class is None
            or not isinstance(strawberry_field, StrawberryField)
            or strawberry_field.base_resolver is None
            or strawberry_field.extensions
        ):
            return None
        python_names: dict[str, str] = {}
        for name, argument in definition.args.items():
            declared = (argument.extensions or {}).get(_STRAWBERRY_DEFINITION)
            if not isinstance(declared, StrawberryArgument) or not _plain(declared.type):
                return None
            python_names[name] = declared.python_name
        resolver = strawberry_field.base_resolver
        info = resolver.info_parameter
        return DirectCall(
            strawberry_field,
            resolver,
            python_names,
            pass_self=resolver.self_parameter is not None,
            source_parameters=tuple(
                parameter.name
                for parameter in (resolver.parent_parameter, resolver.root_parameter)
                if parameter is not None
            ),
            info_parameter=info.name if info is not None else None,
            info_class=self.info_class,
        )

    def type(self, output: GraphQLOutputType, selection_sets: list[SelectionSetNode]) -> TypePlan:
        if isinstance(output, GraphQLNonNull):
            return TypePlan(Kind.NON_NULL, inner=self.type(output.of_type, selection_sets))
        if isinstance(output, GraphQLList):
            return TypePlan(Kind.LIST, inner=self.type(output.of_type, selection_sets))
        if isinstance(output, GraphQLEnumType):
            return TypePlan(Kind.LEAF, name=output.name, serialize=_enum_serializer(output))
        if isinstance(output, GraphQLScalarType):
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


# Built-in scalars whose serialisation returns a value of this exact Python type unchanged.
_IDENTICAL_WHEN = {"String": str, "ID": str, "Int": int, "Boolean": bool}


def _already_serialised(leaf: TypePlan | None) -> type | None:
    """The Python type a leaf's values need no serialisation in (built-in scalars)."""
    if leaf is None or leaf.kind is not Kind.LEAF:
        return None
    if leaf.serialize is not getattr(specified_scalar_types.get(leaf.name), "serialize", None):
        return None
    return _IDENTICAL_WHEN.get(leaf.name)


def _enum_serializer(enum_type: GraphQLEnumType) -> Callable[[Any], Any]:
    """The enum's serialisation, with its Python members' names looked up in a dict
    (Strawberry's enum type compares the value with each of the enum's in turn)."""
    names: dict[Any, str] = {}
    members = getattr(enum_type, "wrapped_cls", None)
    for member in members or ():
        for name, value in enum_type.values.items():
            if value.value == member.value:
                names.setdefault(member, name)
    fallback = enum_type.serialize

    def serialize(value: Any) -> Any:
        try:
            name = names.get(value)
        except TypeError:  # unhashable: not a member
            name = None
        return name if name is not None else fallback(value)

    return serialize


def _batches(fields: tuple[FieldPlan, ...]) -> tuple[tuple[tuple[FieldPlan, ...], FieldPlan], ...]:
    found: list[tuple[tuple[FieldPlan, ...], FieldPlan]] = []
    for field_plan in fields:
        if field_plan.batch is not None:
            found.append(((), field_plan))
            continue
        completion = field_plan.type
        if completion is not None and completion.kind is Kind.NON_NULL:
            completion = completion.inner
        if field_plan.getter is not None and completion is not None:
            found.extend(((field_plan, *chain), batched) for chain, batched in completion.batches)
    return tuple(found)


def _direct_info_class(schema: GraphQLSchema) -> type[strawberry.Info] | None:
    """The Info class a Strawberry schema hands its resolvers, or None where resolvers must
    go through Strawberry's wrapper: a schema that is not Strawberry's, or one with
    exception handlers (which the wrapper applies)."""
    strawberry_schema = getattr(schema, "_strawberry_schema", None)
    if strawberry_schema is None or strawberry_schema.schema_converter._exception_handler_specs:
        return None
    info_class: type[strawberry.Info] = strawberry_schema.config.info_class
    return info_class


# Argument types Strawberry passes to a resolver exactly as graphql-core coerced them.
_PLAIN_ARGUMENT_TYPES = (int, float, str, bool, strawberry.ID)


def _plain(argument_type: Any) -> bool:
    if type(argument_type) is StrawberryOptional:
        argument_type = argument_type.of_type
    return argument_type in _PLAIN_ARGUMENT_TYPES


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
