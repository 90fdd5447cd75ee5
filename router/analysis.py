"""Measures of a document taken before it is validated or planned: its shape (depth, aliases,
directives), its cost, and the shape of its variables.

Every measure is linear in the size of what it measures, whatever the document asks for:
each fragment is walked once and its result kept, so a spread costs a look-up, never a walk
of the fragment again (ten fragments each spreading the previous one ten times are 10^9
expanded spreads, and about a hundred looked-up ones). Fragments are measured in dependency
order by an explicit stack, not by recursion through spreads: a chain of 600 fragments fits
in a 5000-token document, and would overflow Python's stack. Recursion is left only for the
nesting of one selection set in another, which the parser caps (``MAX_NESTING_DEPTH``).
Each measure counts the selections it ``visited``: the work done, which tests bound.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    get_named_type,
    value_from_ast_untyped,
)
from graphql.type import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef

from router.composition.cost_directives import NO_HINTS, CostHints, ListSize
from router.planning.printing import variables_in_value

INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
DEFAULT_PAGE = 20  # what a connection returns without first/last
DEFAULT_LIST = 10  # assumed length of a list field without a size argument
# Costs saturate here: sums and products of a memoised bomb stay small numbers (10^9 spreads
# are reported exactly; beyond the ceiling, "at least" the ceiling).
COST_CEILING = 10**12
SIZE_ARGUMENTS = frozenset({"first", "last", "pagination"})

T = TypeVar("T")


class FragmentFold(ABC, Generic[T]):
    """A measure of selection sets, with each fragment of the document measured once.

    Subclasses measure one selection set in :meth:`measure`, taking a spread's value from
    :meth:`spread` (the memo). ``__init__`` fills the memo in dependency order, so every
    fragment a fragment spreads is measured before it; a spread that closes a cycle, or
    names no fragment, is worth ``empty`` (validation, which runs later, reports both)."""

    def __init__(self, document: DocumentNode, empty: T) -> None:
        self.visited = 0
        self.empty = empty
        self.memo: dict[str, T] = {}
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        for name in self._dependency_order(fragments):
            self.memo[name] = self.fragment(fragments[name])

    @abstractmethod
    def fragment(self, definition: FragmentDefinitionNode) -> T:
        """The measure of one fragment, whose spreads are all in the memo already."""

    def spread(self, name: str) -> T:
        return self.memo.get(name, self.empty)

    def _dependency_order(self, fragments: Mapping[str, FragmentDefinitionNode]) -> list[str]:
        """Fragment names, each after the fragments it spreads: a depth-first walk of the
        spread graph, post-order, on an explicit stack."""
        spreads = {name: self._spreads(d.selection_set) for name, d in fragments.items()}
        order: list[str] = []
        done: set[str] = set()
        for root in fragments:
            if root in done:
                continue
            path: list[tuple[str, Iterator[str]]] = [(root, iter(spreads[root]))]
            on_path = {root}
            while path:
                name, pending = path[-1]
                for spread in pending:
                    if spread in spreads and spread not in done and spread not in on_path:
                        path.append((spread, iter(spreads[spread])))
                        on_path.add(spread)
                        break
                else:
                    path.pop()
                    on_path.discard(name)
                    done.add(name)
                    order.append(name)
        return order

    def _spreads(self, selection_set: SelectionSetNode) -> list[str]:
        """The fragments a selection set spreads, each named once, walked without recursion."""
        names: dict[str, None] = {}
        stack = [selection_set]
        while stack:
            for selection in stack.pop().selections:
                self.visited += 1
                if isinstance(selection, FragmentSpreadNode):
                    names[selection.name.value] = None
                elif (
                    isinstance(selection, FieldNode | InlineFragmentNode)
                    and selection.selection_set is not None
                ):
                    stack.append(selection.selection_set)
        return list(names)


@dataclass(frozen=True, slots=True)
class Shape:
    """An operation's depth, aliases and directives, its fragments expanded."""

    depth: int
    aliases: int
    directives: int


NO_SHAPE = Shape(0, 0, 0)


class DocumentShape(FragmentFold[Shape]):
    """Depth, aliases and directives of each operation of a document. Introspection fields
    are not counted: introspection has its own switch, and is deep by nature (``ofType``)."""

    def __init__(self, document: DocumentNode) -> None:
        super().__init__(document, NO_SHAPE)

    def of(self, operation: OperationDefinitionNode) -> Shape:
        shape = self.measure(operation.selection_set)
        directives = shape.directives + len(operation.directives or ())
        return Shape(shape.depth, shape.aliases, directives)

    def fragment(self, definition: FragmentDefinitionNode) -> Shape:
        shape = self.measure(definition.selection_set)
        directives = shape.directives + len(definition.directives or ())
        return Shape(shape.depth, shape.aliases, directives)

    def measure(self, node: SelectionSetNode) -> Shape:
        depth = aliases = directives = 0
        for selection in node.selections:
            self.visited += 1
            directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                if selection.name.value in INTROSPECTION_ROOTS:
                    continue
                if selection.selection_set is None:
                    inner, depth = NO_SHAPE, max(depth, 1)
                else:
                    inner = self.measure(selection.selection_set)
                    depth = max(depth, 1 + inner.depth)
                aliases += inner.aliases + (1 if selection.alias else 0)
                directives += inner.directives
                continue
            if isinstance(selection, FragmentSpreadNode):
                inner = self.spread(selection.name.value)
            else:
                assert isinstance(selection, InlineFragmentNode)
                inner = self.measure(selection.selection_set)
            depth = max(depth, inner.depth)
            aliases += inner.aliases
            directives += inner.directives
        return Shape(depth, aliases, directives)


class CostEstimate(FragmentFold[int]):
    """Cost: 1 per selection (field, fragment spread, inline fragment), times the sizes of
    the lists above it. A size counts at least 1: a page of `first: 0` returns nothing, but
    its selection is still normalised and planned, so the cost bounds that work too (the
    cost is never below the size of the expanded selection). Introspection fields count 1
    each: their lists are the schema's. A named fragment's cost depends on its own type
    condition only, never on where it is spread, so one value per fragment is kept.

    The supergraph's ``@cost``/``@listSize`` (``hints``) refine this: a field's weight (or,
    without one, the weight of the type it returns) replaces its 1, the weights of the
    arguments it is given are added, and a list's size is read from its slicing arguments or
    its assumed size before the defaults; with ``sizedFields``, that size goes to the named
    child fields selected directly below (a page's ``items``) instead of the field itself."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any],
        hints: CostHints = NO_HINTS,
    ) -> None:
        self.schema = schema
        self.variables = dict(variables)
        self._read: set[str] = set()  # the variables size arguments name
        self.hints = hints
        # Child fields a parent's ``@listSize(sizedFields:)`` gives its size, by node identity.
        self.sized: dict[int, int] = {}
        super().__init__(document, 0)

    def of(self, operation: OperationDefinitionNode) -> int:
        return self.measure(self.schema.get_root_type(operation.operation), operation.selection_set)

    @property
    def variables_read(self) -> frozenset[str]:
        """The variables the estimate so far read (in size arguments): it is the same for
        any other values of the rest."""
        return frozenset(self._read)

    def fragment(self, definition: FragmentDefinitionNode) -> int:
        target = self.schema.get_type(definition.type_condition.name.value)
        return self.measure(target, definition.selection_set)

    def measure(self, parent: GraphQLNamedType | None, selection_set: SelectionSetNode) -> int:
        total = 0
        for selection in selection_set.selections:
            self.visited += 1
            if isinstance(selection, FieldNode):
                total += self._field(parent, selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += 1 + self.measure(target, selection.selection_set)
            else:
                assert isinstance(selection, FragmentSpreadNode)
                total += 1 + self.spread(selection.name.value)
            total = min(total, COST_CEILING)
        return total

    def _field(self, parent: GraphQLNamedType | None, node: FieldNode) -> int:
        field = _definition(parent, node.name.value)
        # Only hints are looked up by coordinate: without them, no string per field.
        coordinate = f"{parent.name}.{node.name.value}" if parent and self.hints else ""
        own = self._weight(coordinate, node, field)
        if node.selection_set is None:
            return own
        if field is None:  # unknown: validation refuses it; count what it selects
            return min(own + self.measure(None, node.selection_set), COST_CEILING)
        introspective = node.name.value.startswith("__") or (
            parent is not None and parent.name.startswith("__")
        )
        field_type = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        is_list = isinstance(field_type, GraphQLList)
        declared = self.hints.list_sizes.get(coordinate)
        size = 1 if introspective else self._size(node, is_list, declared)
        if declared is not None and declared.sized_fields and not introspective:
            # The size belongs to the named child lists (a page's ``items``), not the field.
            for child in node.selection_set.selections:
                if isinstance(child, FieldNode) and child.name.value in declared.sized_fields:
                    self.sized[id(child)] = size
            size = 1
        inner = self.measure(get_named_type(field.type), node.selection_set)
        return min(own + max(size, 1) * inner, COST_CEILING)

    def _weight(self, coordinate: str, node: FieldNode, field: GraphQLField | None) -> int:
        """1, or the ``@cost`` of the field (else of its type), plus its arguments'."""
        weights = self.hints.weights
        if not weights:
            return 1
        own = weights.get(coordinate)
        if own is None and field is not None:
            own = weights.get(get_named_type(field.type).name)
        given = sum(
            weights.get(f"{coordinate}({argument.name.value}:)", 0)
            for argument in node.arguments or ()
        )
        return min((1 if own is None else own) + given, COST_CEILING)

    def _value(self, node: ValueNode) -> Any:
        """An argument's value, the variables it names recorded (``variables_read``)."""
        self._read.update(variables_in_value(node))
        return value_from_ast_untyped(node, self.variables)

    def _size(self, field: FieldNode, is_list: bool, declared: ListSize | None) -> int:
        """How many items a field may return, from its ``@listSize`` or its size arguments.
        A connection's `edges` count once: the connection field above them already
        multiplied by the page size."""
        if field.name.value == "edges":
            return 1
        if id(field) in self.sized:
            return self.sized[id(field)]
        if declared is not None:
            sliced = [
                self._value(a.value)
                for a in field.arguments or ()
                if a.name.value in declared.slicing_arguments
            ]
            declared_sizes = [s for s in sliced if isinstance(s, int) and s >= 0]
            if declared_sizes:
                return min(max(declared_sizes), COST_CEILING)
            if declared.assumed_size is not None:
                return min(declared.assumed_size, COST_CEILING)
        arguments = {
            a.name.value: self._value(a.value)
            for a in field.arguments or ()
            if a.name.value in SIZE_ARGUMENTS
        }
        pagination = arguments.get("pagination")
        sizes = [arguments.get("first"), arguments.get("last")]
        if isinstance(pagination, dict):
            sizes += [pagination.get("first"), pagination.get("last")]
        given = [s for s in sizes if isinstance(s, int) and s >= 0]
        if given:
            return min(max(given), COST_CEILING)
        if "pagination" in arguments or _is_connection(field):
            return DEFAULT_PAGE
        return DEFAULT_LIST if is_list else 1


def _definition(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    meta = {
        "__typename": TypeNameMetaFieldDef,
        "__schema": SchemaMetaFieldDef,
        "__type": TypeMetaFieldDef,
    }.get(name)
    return meta or getattr(parent, "fields", {}).get(name)


def _is_connection(field: FieldNode) -> bool:
    return any(
        isinstance(s, FieldNode) and s.name.value == "edges"
        for s in (field.selection_set.selections if field.selection_set else ())
    )


@dataclass(frozen=True, slots=True)
class VariableShape:
    """How deep variable values nest (a list or object is one level) and how many values
    they hold (every scalar, list and object counts one), counted up to ``stop_after``."""

    depth: int
    values: int


def variable_shape(variables: Mapping[str, Any], stop_after: int) -> VariableShape:
    """Walked without recursion, one value at a time, and abandoned once ``stop_after``
    values are exceeded: the work is bounded by the limit, not by what the client sent."""
    depth = values = 0
    stack: list[tuple[Iterator[Any], int]] = [(iter(variables.values()), 0)]
    while stack and values <= stop_after:
        members, level = stack[-1]
        value = next(members, _END)
        if value is _END:
            stack.pop()
            continue
        values += 1
        if isinstance(value, Mapping):
            stack.append((iter(value.values()), level + 1))
            depth = max(depth, level + 1)
        elif isinstance(value, list | tuple):
            stack.append((iter(value), level + 1))
            depth = max(depth, level + 1)
    return VariableShape(depth, values)


_END = object()
