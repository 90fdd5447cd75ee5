"""``@cost`` and ``@listSize`` (Federation 2.9): demand-control hints, composed as Apollo does.

``@cost(weight:)`` on a field, argument, object, scalar or enum says what resolving it costs;
``@listSize`` on a list field says how long its lists are (``assumedSize``) or which arguments
bound them (``slicingArguments``), and ``sizedFields`` moves that size onto child fields (a
connection's ``edges``). Several subgraphs declaring one coordinate merge as Apollo's
composition merges them: the highest weight and assumed size, the union of the argument and
field names, and ``requireOneSlicingArgument`` only if every declaration asks for it. The
supergraph SDL prints them under the ``cost`` spec; the router's cost limit reads them
(:mod:`router.limits`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from graphql import (
    BooleanValueNode,
    ConstDirectiveNode,
    IntValueNode,
    ListValueNode,
    StringValueNode,
)


@dataclass(frozen=True, slots=True)
class ListSize:
    """What ``@listSize`` says about one list field."""

    assumed_size: int | None = None
    slicing_arguments: tuple[str, ...] = ()
    sized_fields: tuple[str, ...] = ()
    require_one_slicing_argument: bool = True

    def merged(self, other: ListSize) -> ListSize:
        sizes = [s for s in (self.assumed_size, other.assumed_size) if s is not None]
        return ListSize(
            assumed_size=max(sizes) if sizes else None,
            slicing_arguments=_union(self.slicing_arguments, other.slicing_arguments),
            sized_fields=_union(self.sized_fields, other.sized_fields),
            require_one_slicing_argument=(
                self.require_one_slicing_argument and other.require_one_slicing_argument
            ),
        )


@dataclass(frozen=True, slots=True)
class CostHints:
    """The merged hints of a supergraph: weights per coordinate, list sizes per field."""

    # ``Type``, ``Type.field`` or ``Type.field(argument:)`` → weight.
    weights: Mapping[str, int]
    # ``Type.field`` → its ``@listSize``.
    list_sizes: Mapping[str, ListSize]

    def __bool__(self) -> bool:
        return bool(self.weights or self.list_sizes)


NO_HINTS = CostHints({}, {})


def read_weight(directive: ConstDirectiveNode) -> int | None:
    """``@cost(weight:)``'s weight, or ``None`` when it is not an integer."""
    for argument in directive.arguments or ():
        if argument.name.value == "weight" and isinstance(argument.value, IntValueNode):
            return int(argument.value.value)
    return None


def read_list_size(directive: ConstDirectiveNode) -> ListSize:
    """``@listSize``'s arguments (absent ones at their defaults)."""
    assumed: int | None = None
    slicing: tuple[str, ...] = ()
    sized: tuple[str, ...] = ()
    require_one = True
    for argument in directive.arguments or ():
        name, value = argument.name.value, argument.value
        if name == "assumedSize" and isinstance(value, IntValueNode):
            assumed = int(value.value)
        elif name in ("slicingArguments", "sizedFields") and isinstance(value, ListValueNode):
            names = tuple(v.value for v in value.values if isinstance(v, StringValueNode))
            if name == "slicingArguments":
                slicing = names
            else:
                sized = names
        elif name == "requireOneSlicingArgument" and isinstance(value, BooleanValueNode):
            require_one = value.value
    return ListSize(assumed, slicing, sized, require_one)


def merge_cost_hints(
    weights: Iterable[Mapping[str, int]], list_sizes: Iterable[Mapping[str, ListSize]]
) -> CostHints:
    """One weight and one list size per coordinate, over every subgraph."""
    merged_weights: dict[str, int] = {}
    for declared in weights:
        for coordinate, weight in declared.items():
            merged_weights[coordinate] = max(weight, merged_weights.get(coordinate, weight))
    merged_sizes: dict[str, ListSize] = {}
    for declared_sizes in list_sizes:
        for coordinate, size in declared_sizes.items():
            known = merged_sizes.get(coordinate)
            merged_sizes[coordinate] = size if known is None else known.merged(size)
    return CostHints(dict(sorted(merged_weights.items())), dict(sorted(merged_sizes.items())))


def _union(left: tuple[str, ...], right: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*left, *right)))
