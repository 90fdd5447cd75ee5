"""Operation limits: what one request may ask for, checked before any work is done for it.

Token count caps parsing; depth, aliases and directives are counted on the raw document
(fragments expanded and memoised, cycles cut) BEFORE validation, because validation itself
is super-linear on fragment and alias bombs; the cost — list sizes (`first`/`last`, page
sizes) multiplied down the selection — needs the variables and is checked last. Defaults
sit near graphql-armor's and Apollo Router's. Each refusal names the limit and the value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    value_from_ast_untyped,
)

INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
DEFAULT_PAGE = 20  # what a connection returns without first/last
DEFAULT_LIST = 10  # assumed length of a list field without a size argument


@dataclass(frozen=True)
class OperationLimits:
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 5000
    max_directives: int = 50
    max_cost: int = 25_000
    introspection: bool = True
    suggestions: bool = True


@dataclass(frozen=True)
class _Counts:
    depth: int
    aliases: int
    directives: int


class _Counter:
    """Depth, aliases and directives of a document, each fragment counted once (memoised)."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[str, _Counts] = {}
        self.visiting: set[str] = set()

    def selection_set(self, node: SelectionSetNode | None) -> _Counts:
        depth = aliases = directives = 0
        for selection in node.selections if node else ():
            directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                if selection.name.value in INTROSPECTION_ROOTS:
                    continue  # introspection: its own switch, and deep by nature (ofType)
                inner = self.selection_set(selection.selection_set)
                depth = max(depth, 1 + inner.depth if selection.selection_set else 1)
                aliases += inner.aliases + (1 if selection.alias else 0)
                directives += inner.directives
            else:
                inner = (
                    self.fragment(selection.name.value)
                    if isinstance(selection, FragmentSpreadNode)
                    else self.selection_set(getattr(selection, "selection_set", None))
                )
                depth = max(depth, inner.depth)
                aliases += inner.aliases
                directives += inner.directives
        return _Counts(depth, aliases, directives)

    def fragment(self, name: str) -> _Counts:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return _Counts(0, 0, 0)  # unknown or cyclic: validation reports it
        self.visiting.add(name)
        counts = self.selection_set(definition.selection_set)
        counts = _Counts(
            counts.depth, counts.aliases, counts.directives + len(definition.directives or ())
        )
        self.visiting.discard(name)
        self.memo[name] = counts
        return counts


def _limit_error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def check_shape(
    document: DocumentNode, operation: OperationDefinitionNode, limits: OperationLimits
) -> list[GraphQLError]:
    """Depth, aliases and directives of `operation` (before validation)."""
    counts = _Counter(document).selection_set(operation.selection_set)
    directives = counts.directives + len(operation.directives or ())
    errors = []
    if counts.depth > limits.max_depth:
        errors.append(
            _limit_error(
                "MAX_DEPTH_LIMIT",
                f"Query depth {counts.depth} exceeds the limit of {limits.max_depth}",
            )
        )
    if counts.aliases > limits.max_aliases:
        errors.append(
            _limit_error(
                "MAX_ALIASES_LIMIT",
                f"Query uses {counts.aliases} aliases; the limit is {limits.max_aliases}",
            )
        )
    if directives > limits.max_directives:
        errors.append(
            _limit_error(
                "MAX_DIRECTIVES_LIMIT",
                f"Query uses {directives} directives; the limit is {limits.max_directives}",
            )
        )
    return errors


def _size(field: FieldNode, variables: Mapping[str, Any], is_list: bool) -> int:
    """How many items a field may return, from its size arguments. A connection's `edges`
    count once: the connection field above them already multiplied by the page size."""
    if field.name.value == "edges":
        return 1
    arguments = {
        a.name.value: value_from_ast_untyped(a.value, dict(variables))
        for a in field.arguments or ()
    }
    pagination = arguments.get("pagination")
    sizes = [arguments.get("first"), arguments.get("last")]
    if isinstance(pagination, dict):
        sizes += [pagination.get("first"), pagination.get("last")]
    given = [s for s in sizes if isinstance(s, int) and s >= 0]
    if given:
        return max(given)
    if "pagination" in arguments or _is_connection(field):
        return DEFAULT_PAGE
    return DEFAULT_LIST if is_list else 1


def _is_connection(field: FieldNode) -> bool:
    return any(
        isinstance(s, FieldNode) and s.name.value == "edges"
        for s in (field.selection_set.selections if field.selection_set else ())
    )


def estimate_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
) -> int:
    """1 per field, times the sizes of the lists above it (after validation)."""
    root = schema.get_root_type(operation.operation)
    assert isinstance(root, GraphQLObjectType)
    return _CostEstimate(schema, document, variables).cost(
        root, operation.selection_set, frozenset()
    )


class _CostEstimate:
    """A class, not a closure: a recursive closure refers to itself through its cell, cyclic
    garbage left behind by every request."""

    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def cost(
        self, parent: Any, selection_set: SelectionSetNode | None, seen: frozenset[str]
    ) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                field = getattr(parent, "fields", {}).get(selection.name.value)
                if field is None:
                    total += 1  # __typename and introspection
                    continue
                field_type = (
                    field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
                )
                size = _size(selection, self.variables, isinstance(field_type, GraphQLList))
                inner = self.cost(get_named_type(field.type), selection.selection_set, seen)
                total += 1 + size * inner
            elif isinstance(selection, InlineFragmentNode):
                target = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                total += self.cost(target, selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in self.fragments and name not in seen:
                    definition = self.fragments[name]
                    target = self.schema.get_type(definition.type_condition.name.value)
                    total += self.cost(target, definition.selection_set, seen | {name})
        return total


def check_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
    limits: OperationLimits,
) -> list[GraphQLError]:
    cost = estimate_cost(schema, document, operation, variables)
    if cost > limits.max_cost:
        return [
            _limit_error(
                "MAX_COST_LIMIT",
                f"Query cost {cost} exceeds the limit of {limits.max_cost}; ask for smaller pages",
            )
        ]
    return []


def without_suggestions(message: str) -> str:
    """graphql-core's message without its "Did you mean ...?" hint (schema discovery)."""
    return message.split(" Did you mean", 1)[0]
