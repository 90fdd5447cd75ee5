"""The client operation, normalised: fragments inlined, each field bound to its API type.

Normalising once lets the planner and the response shaper walk the same tree. Named fragment
spreads become inline fragments; fragments that neither narrow the type nor carry ``@skip`` /
``@include`` are spliced into their parent. ``@skip``/``@include`` are kept on the node they
were written on and evaluated by the shaper (and passed through to subgraphs).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    get_named_type,
)
from graphql.type import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef

CONDITIONAL_DIRECTIVES = frozenset({"skip", "include"})
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


@dataclass(frozen=True, slots=True)
class Field:
    """A selected field with its API output type; ``selections`` is empty for leaves."""

    response_key: str
    name: str
    alias: str | None
    arguments: tuple[ArgumentNode, ...]
    directives: tuple[DirectiveNode, ...]  # only @skip / @include
    parent_type: str
    output_type: GraphQLOutputType
    type_name: str
    selections: tuple[Selection, ...] = ()


@dataclass(frozen=True, slots=True)
class Fragment:
    """An inline fragment that narrows the type and/or carries ``@skip``/``@include``."""

    type_condition: str | None
    directives: tuple[DirectiveNode, ...]
    selections: tuple[Selection, ...]


Selection = Field | Fragment


@dataclass(frozen=True, slots=True)
class NormalizedOperation:
    """One executable operation of a document, ready for planning and shaping."""

    kind: OperationType
    name: str | None
    root_type: str
    variable_definitions: tuple[VariableDefinitionNode, ...]
    selections: tuple[Selection, ...]


def normalize(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> NormalizedOperation:
    """Normalise a validated ``operation`` of ``document`` against the API ``schema``."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        raise ValueError(f"Schema has no {operation.operation.value} root type")
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    return NormalizedOperation(
        kind=operation.operation,
        name=operation.name.value if operation.name else None,
        root_type=root.name,
        variable_definitions=tuple(operation.variable_definitions or ()),
        selections=_Normalizer(schema, fragments).selections(root, operation.selection_set),
    )


class _Normalizer:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments

    def selections(
        self, parent: GraphQLCompositeType, selection_set: SelectionSetNode
    ) -> tuple[Selection, ...]:
        out: list[Selection] = []
        for node in selection_set.selections:
            directives = tuple(
                d for d in node.directives or () if d.name.value in CONDITIONAL_DIRECTIVES
            )
            if isinstance(node, FieldNode):
                out.append(self.field(parent, node, directives))
                continue
            if isinstance(node, InlineFragmentNode):
                condition = node.type_condition.name.value if node.type_condition else None
                body = node.selection_set
            else:
                assert isinstance(node, FragmentSpreadNode)
                definition = self.fragments[node.name.value]
                condition = definition.type_condition.name.value
                body = definition.selection_set
            narrowed = self.schema.get_type(condition) if condition else parent
            inner = self.selections(narrowed, body)  # type: ignore[arg-type]
            if condition == parent.name:
                condition = None
            if condition is None and not directives:
                out.extend(inner)
            else:
                out.append(Fragment(condition, directives, inner))
        return tuple(out)

    def field(
        self,
        parent: GraphQLCompositeType,
        node: FieldNode,
        directives: tuple[DirectiveNode, ...],
    ) -> Field:
        name = node.name.value
        if name == "__typename":
            definition = TypeNameMetaFieldDef
        elif name == "__schema":
            definition = SchemaMetaFieldDef
        elif name == "__type":
            definition = TypeMetaFieldDef
        else:
            assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
            definition = parent.fields[name]
        named = get_named_type(definition.type)
        children: tuple[Selection, ...] = ()
        if node.selection_set is not None:
            children = self.selections(named, node.selection_set)  # type: ignore[arg-type]
        alias = node.alias.value if node.alias else None
        return Field(
            response_key=alias or name,
            name=name,
            alias=alias,
            arguments=tuple(node.arguments or ()),
            directives=directives,
            parent_type=parent.name,
            output_type=definition.type,
            type_name=named.name,
            selections=children,
        )


def root_response_keys(operation: NormalizedOperation) -> frozenset[str]:
    """The response keys of the operation's root fields, fragments included and ``__typename``
    left out: what a mutation executes, one resolver per key (aliases of one field count once
    each; fields under ``@skip``/``@include`` count as if included)."""
    keys: set[str] = set()
    pending: list[Selection] = list(operation.selections)
    while pending:
        selection = pending.pop()
        if isinstance(selection, Fragment):
            pending.extend(selection.selections)
        elif selection.name != "__typename":
            keys.add(selection.response_key)
    return frozenset(keys)
