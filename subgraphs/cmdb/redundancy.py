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
tuple is made several times faster than a frozen dataclass."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple


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
    outgoing: dict[uuid.UUID, list[Edge]] = defaultdict(list)
    for edge in edges:
        outgoing[edge.source].append(edge)
    reached: dict[uuid.UUID, Reached] = {root: Reached(0, None) for root in roots}
    failed: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)  # redundant CI: failed providers
    level: Sequence[uuid.UUID] = list(reached)
    for distance in range(1, depth + 1):
        next_level: list[uuid.UUID] = []
        for source in level:
            for edge in outgoing.get(source, ()):
                target = edge.target
                if target in reached:
                    continue
                need = needs.get(target) if needs is not None else None
                if need is not None:
                    failed[target].add(source)
                    if need.providers - len(failed[target]) >= need.required:
                        continue
                reached[target] = Reached(distance, edge)
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
