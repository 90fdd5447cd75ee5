"""How a failure spreads through the part of the dependency graph the impact statement read:
which CIs it reaches, at what distance, and through which edge. No database, no Strawberry.

Edges arrive oriented in the direction of the analysis (`source` → `target`: DOWNSTREAM from
the provider to the CI that depends on it, UPSTREAM the other way). Without redundancy a CI is
reached as soon as one of its sources is. With redundancy (DOWNSTREAM only), a CI that needs
`k` of its `n` providers is impacted only when fewer than `k` of them remain unimpacted, i.e.
when its `n - k + 1`-th provider fails (iTop's rule); providers the statement did not reach
count as working.

The spread goes level by level (breadth first), so a CI's distance is the level at which it
became impacted: the shortest path for a plain CI, the `n - k + 1`-th nearest failed provider
plus one for a redundant one. Its `via` is the edge that tipped it. Cycles end by themselves:
a CI is impacted once.

Edges and the rest are named tuples: a blast radius reads tens of thousands of edges, and a
tuple is made several times faster than a frozen dataclass.

`spread` takes the edges the impact statement read; `spread_over` takes the graph as it is
kept in memory (topology.py): each CI's edges already listed, CIs as integers (a dict keyed
by integers is several times faster than one keyed by UUIDs, whose hash is Python code), and
the retired CIs apart. Both are the one rule."""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Callable, Container, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

K = TypeVar("K", bound=Hashable)


class Edge(NamedTuple):
    """One relationship, oriented for the analysis."""

    id: uuid.UUID
    source: uuid.UUID
    target: uuid.UUID
    type_id: uuid.UUID | None = None


class Need(NamedTuple):
    """A CI's redundancy: it needs `required` of its `providers` (distinct CIs) to work."""

    required: int
    providers: int


class Reached(NamedTuple):
    """A CI the failure reaches: how many edges away, and over which edge (None at a root)."""

    distance: int
    via: Edge | None


def spread(
    roots: Iterable[uuid.UUID],
    edges: Iterable[Edge],
    depth: int,
    needs: Mapping[uuid.UUID, Need] | None = None,
) -> dict[uuid.UUID, Reached]:
    """The CIs reached from `roots` within `depth` edges, in the order reached; `needs`
    (None: ignore redundancy) holds the redundant CIs' requirements."""
    outgoing: dict[uuid.UUID, list[tuple[uuid.UUID, Edge]]] = defaultdict(list)
    for edge in edges:
        outgoing[edge.source].append((edge.target, edge))
    return spread_over(roots, lambda source: outgoing.get(source, ()), depth, needs)


# Reached((distance, via)) without the named tuple's __new__, a Python call per CI reached.
_reached: Callable[[tuple[int, Edge]], Reached] = functools.partial(tuple.__new__, Reached)


def spread_over(
    roots: Iterable[K],
    outgoing: Callable[[K], Iterable[tuple[K, Edge]]],
    depth: int,
    needs: Mapping[K, Need] | None = None,
    excluded: Container[K] = frozenset(),
) -> dict[K, Reached]:
    """`spread` over a graph given as `outgoing` (a CI's edges, each with the CI it leads
    to): CIs in `excluded` are neither reached nor spread through (the retired ones)."""
    reached: dict[K, Reached] = {root: Reached(0, None) for root in roots}
    failed: dict[K, set[K]] = {}  # redundant CI: its failed providers
    level: Sequence[K] = list(reached)
    for distance in range(1, depth + 1):
        next_level: list[K] = []
        for source in level:
            for target, edge in outgoing(source):
                if target in reached or target in excluded:
                    continue
                need = needs.get(target) if needs is not None else None
                if need is not None:
                    providers = failed.get(target)
                    if providers is None:
                        providers = failed[target] = set()
                    providers.add(source)
                    if need.providers - len(providers) >= need.required:
                        continue
                reached[target] = _reached((distance, edge))
                next_level.append(target)
        if not next_level:
            break
        level = next_level
    return reached


def edges_within(reached: Mapping[uuid.UUID, Reached], edges: Iterable[Edge]) -> list[Edge]:
    """The edges between reached CIs that lead away from the roots (no edge into a root,
    none into a CI closer than its source): the impact graph's edges."""
    return [
        edge
        for edge in edges
        if (source := reached.get(edge.source)) is not None
        and (target := reached.get(edge.target)) is not None
        and target.distance > source.distance
    ]


@dataclass(frozen=True)
class Impact:
    """The CIs a failure of `roots` reaches, in the order reached; `missing` are the roots
    that do not exist; `read` lists, when called, the edges the analysis read leaving the
    reached CIs (oriented the analysis' way; more, never fewer, than the impact graph's):
    a blast radius asked without its edges never lists them. `held` gives, for a column set,
    the reached CIs' rows in order (None for a CI deleted since) when the analysis holds
    them (the in-memory graph: topology.py), else None."""

    reached: dict[uuid.UUID, Reached]
    missing: list[uuid.UUID]
    read: Callable[[], Iterable[Edge]]
    held: Callable[[frozenset[str] | None], list[Any] | None] = lambda columns: None

    def edges(self) -> list[Edge]:
        """The edges among the reached CIs that lead away from the roots."""
        return edges_within(self.reached, self.read())
