"""Authorization pruning, as Apollo Router does it: before planning, every field the caller may
not select (``@authenticated``/``@requiresScopes`` on the field, on the type it returns or, for
an interface, on an implementation) is removed from the operation.

A selection set left empty removes its field too, so a subgraph is only called for what the
caller may see. The pruned operation is a function of the operation and the set of denied
coordinates alone, which is why that set (not the caller) is part of the plan cache key.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

from graphql import GraphQLInterfaceType, GraphQLList, GraphQLNonNull, GraphQLOutputType

from router.composition import AccessRequirement, Supergraph
from router.planning.operation import Field, Fragment, NormalizedOperation, Selection

LIST_ITEMS = "@"  # path segment standing for every element of a list (as in FlattenNode)


@dataclass(frozen=True, slots=True)
class GuardedOperation:
    """A normalised operation plus the access requirements of everything it selects."""

    operation: NormalizedOperation
    # Coordinates (``Type.field`` or ``Type``) the operation touches that carry a requirement.
    requirements: Mapping[str, AccessRequirement]

    def denied(self, authenticated: bool, granted: Collection[str]) -> tuple[str, ...]:
        """The coordinates a caller fails, sorted (empty: the operation runs unchanged)."""
        return tuple(
            sorted(
                coordinate
                for coordinate, requirement in self.requirements.items()
                if not requirement.allows(authenticated, granted)
            )
        )


@dataclass(frozen=True, slots=True)
class Removed:
    """One selection taken out: where (response keys, ``@`` for list elements), which field
    (or fragment type) it was, and the coordinate whose requirement the caller failed."""

    path: tuple[str, ...]
    selected: str
    denied: str


def guard(supergraph: Supergraph, operation: NormalizedOperation) -> GuardedOperation:
    """Collect the requirements ``operation`` meets (done once per cached operation)."""
    guards = _Guards(supergraph)
    found: dict[str, AccessRequirement] = {}

    def walk(selections: tuple[Selection, ...]) -> None:
        for selection in selections:
            coordinates = (
                guards.of_field(selection)
                if isinstance(selection, Field)
                else guards.of_fragment(selection)
            )
            for coordinate in coordinates:
                found[coordinate] = supergraph.access[coordinate]
            walk(selection.selections)

    if supergraph.access:
        walk(operation.selections)
    return GuardedOperation(operation, found)


def prune(
    supergraph: Supergraph, operation: NormalizedOperation, denied: Collection[str]
) -> tuple[NormalizedOperation, tuple[Removed, ...]]:
    """``operation`` without what the ``denied`` coordinates guard, and what was removed."""
    pruner = _Pruner(_Guards(supergraph), frozenset(denied))
    selections = pruner.selections(operation.selections, ())
    return replace(operation, selections=selections), tuple(pruner.removed)


class _Guards:
    """Which access-controlled coordinates guard a field or a fragment."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.schema = supergraph.schema
        self.access = supergraph.access

    def of_field(self, field: Field) -> tuple[str, ...]:
        if field.name.startswith("__"):
            return ()
        coordinates = [f"{field.parent_type}.{field.name}", field.type_name]
        parent = self.schema.get_type(field.parent_type)
        if isinstance(parent, GraphQLInterfaceType):
            # The object behind an interface may be any implementation: their rules hold too.
            for implementation in self.schema.get_possible_types(parent):
                coordinates += [f"{implementation.name}.{field.name}", implementation.name]
        return tuple(c for c in dict.fromkeys(coordinates) if c in self.access)

    def of_fragment(self, fragment: Fragment) -> tuple[str, ...]:
        condition = fragment.type_condition
        return (condition,) if condition is not None and condition in self.access else ()


class _Pruner:
    def __init__(self, guards: _Guards, denied: frozenset[str]) -> None:
        self.guards = guards
        self.denied = denied
        self.removed: list[Removed] = []

    def selections(
        self, selections: tuple[Selection, ...], path: tuple[str, ...]
    ) -> tuple[Selection, ...]:
        kept: list[Selection] = []
        for selection in selections:
            if isinstance(selection, Field):
                field_path = (*path, selection.response_key)
                guards = self.guards.of_field(selection)
                selected = f"{selection.parent_type}.{selection.name}"
            else:
                field_path = path
                guards = self.guards.of_fragment(selection)
                selected = f"... on {selection.type_condition}"
            failed = next((c for c in guards if c in self.denied), None)
            if failed is not None:
                self.removed.append(Removed(field_path, selected, failed))
                continue
            if not selection.selections:
                kept.append(selection)
                continue
            inner_path = field_path
            if isinstance(selection, Field):
                inner_path += (LIST_ITEMS,) * _list_depth(selection.output_type)
            children = self.selections(selection.selections, inner_path)
            if children:  # an emptied selection set takes its field (or fragment) with it
                kept.append(replace(selection, selections=children))
        return tuple(kept)


def _list_depth(output_type: GraphQLOutputType) -> int:
    depth = 0
    while isinstance(output_type, GraphQLNonNull | GraphQLList):
        if isinstance(output_type, GraphQLList):
            depth += 1
        output_type = output_type.of_type
    return depth
