"""Compiling one query or mutation document against a subgraph's schema into a
:class:`CompiledOperation`.

Documents the compiled executor does not cover (a subscription, ``@skip``/``@include``/
``@defer``, introspection, validation errors) compile to ``None`` and run through the normal
executor instead.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
    is_abstract_type,
    print_ast,
    validate,
)
from graphql.type.scalars import specified_scalar_types

from resolvers.batching import BATCH, BATCH_BY_ID, BATCH_READS, READ_BY_ID
from resolvers.executor.builders import object_builder
from resolvers.executor.direct_calls import attribute_name, direct_call, strawberry_calls
from resolvers.executor.operation import (
    REPRESENTATION,
    CompiledOperation,
    FieldPlan,
    Kind,
    ReadAhead,
    TypePlan,
)


class Unsupported(Exception):
    """The document uses something the compiled path leaves to the normal executor."""


def compile_operation(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> CompiledOperation | None:
    """The plan of ``operation_name`` in ``document``, or None when the normal executor
    must run it (including every document that does not validate: its errors come from
    there)."""
    if validate(schema, document):
        return None
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is OperationType.SUBSCRIPTION:
        return None
    serial = operation.operation is OperationType.MUTATION
    root_type = schema.mutation_type if serial else schema.query_type
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
    representations = frozenset(
        definition.variable.name.value
        for definition in operation.variable_definitions or ()
        if print_ast(definition.type) == f"[{REPRESENTATION}!]!"
    )
    # A mutation's root fields run one after the other: each as an object of its own.
    steps = tuple(replace(root, fields=(field,), batches=(), build=None) for field in root.fields)
    return CompiledOperation(operation, fragments, root, representations, steps if serial else None)


class _Compiler:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments
        self.calls = strawberry_calls(schema)

    def object(
        self, object_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> TypePlan:
        grouped: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            self._collect(object_type, selection_set, grouped)
        fields = tuple(self._field(object_type, key, nodes) for key, nodes in grouped.items())
        plan = TypePlan(Kind.OBJECT, name=object_type.name, fields=fields, batches=_batches(fields))
        plan.build = object_builder(plan)
        return plan

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
        attribute = attribute_name(definition)
        getter = operator.attrgetter(attribute) if attribute is not None else None
        leaf = completion.inner if completion.kind is Kind.NON_NULL else completion
        direct = direct_call(definition, self.calls) if getter is None else None
        metadata = direct.field.metadata if direct is not None else {}
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
            attribute=attribute,
            direct=direct,
            batch=metadata.get(BATCH),
            by_id=bool(metadata.get(BATCH_BY_ID)),
            reads=tuple(metadata.get(BATCH_READS) or ()),
            ahead=self._ahead(parent, name, metadata, completion),
        )

    def _ahead(
        self, parent: GraphQLObjectType, name: str, metadata: Any, completion: TypePlan
    ) -> ReadAhead | None:
        """What a root field's objects can have read with them: those of a field declared
        ``read_by_id``, and an ``_entities`` fetch's (resolvers/batching.py)."""
        if parent is not self.schema.query_type:
            return None
        argument = metadata.get(READ_BY_ID)
        representations = argument is None and name == "_entities"
        if representations:
            argument = "representations"
        if argument is None:
            return None
        objects = completion
        while objects.inner is not None:  # through non-null and list
            objects = objects.inner
        fields = tuple(batched for chain, batched in objects.batches if not chain and batched.by_id)
        return ReadAhead(argument, representations, fields) if fields else None

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
        possible = {
            possible.name: self.object(possible, selection_sets)
            for possible in self.schema.get_possible_types(output)  # type: ignore[arg-type]
        }
        builds = {name: plan.build for name, plan in possible.items() if plan.build is not None}
        return TypePlan(
            Kind.ABSTRACT,
            name=output.name,
            possible=possible,
            batches=tuple(batch for plan in possible.values() for batch in plan.batches),
            builds=builds if len(builds) == len(possible) else None,
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
    (Strawberry's enum type compares the value with each of the enum's in turn), by the
    member's identity first: an Enum member's hash is a Python call (a page serialises a
    hundred), and members live as long as their class, which ``names`` holds."""
    names: dict[Any, str] = {}
    members = getattr(enum_type, "wrapped_cls", None)
    for member in members or ():
        for name, value in enum_type.values.items():
            if value.value == member.value:
                names.setdefault(member, name)
    by_identity = {id(member): name for member, name in names.items()}
    fallback = enum_type.serialize

    def serialize(value: Any) -> Any:
        name = by_identity.get(id(value))
        if name is not None:
            return name
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
