"""One tenant's dependency graph in memory, as of a PostgreSQL snapshot, and its impact
analysis: the same answer as impact.py's statement, without reading the graph again.
No database here: topology_cache.py loads it, keeps it current and says when to use it.

CIs are integers (their position in `ids`): the spread's dicts and sets keyed by integers
cost a fraction of UUID-keyed ones (the benchmark's blast radius of 4,383 CIs took two
thirds of the time); the answer is keyed by UUIDs again. Each relationship is held twice,
as the Edge each direction of analysis hands out (DOWNSTREAM provider → dependent, UPSTREAM
the other way), beside the integer it leads to: an analysis reaching thousands of CIs
builds nothing but its answer. UUIDs are shared (a CI's, a type's): one object per id.

A change replaces the lists it touches (and the retired set) instead of editing them, so an
answer's `read` (called later, when the request asks for the impact graph's edges) lists
the edges as they were when it was analysed.

What the statement does and the spread relies on, and this keeps: a retired CI is never
reached (no edge leads into it) but a retired root spreads; the providers a redundant CI
counts are its distinct non-retired providers over the relationship types asked.

Each CI's name and class are kept too (`HELD`): the usual view of a blast radius shows its
CIs by name and class, and an answer hands out their rows (`Impact.held`) instead of the
request reading thousands of rows again (a statement of thousands of keys: in the
benchmark, a sixth of the blast radius's time). They are as of the change log the request
read before its analysis, as the rows that statement would read are as of the statement:
committed states both, a rename or a deletion committed since included."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from db.reads import row_class
from subgraphs.cmdb.graph_enums import ImpactDirection as Direction
from subgraphs.cmdb.redundancy import Edge, Impact, Need, spread_over

_TYPE_SETS = 8  # sets of relationship types whose providers are counted and kept
HELD = ("id", "name", "class_id")  # the columns of a CI's row the graph holds

Adjacency = list[tuple[int, Edge]]  # a CI's edges in one direction, with the CI each leads to

# Edge((id, source, target, type_id)) without the named tuple's __new__ (a Python call): a
# graph loaded makes two per relationship.
_edge: Callable[[tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]], Edge] = functools.partial(
    tuple.__new__, Edge
)
# A held row, as a loader of those columns reads it (db.reads): a named tuple.
_held_row: Callable[[tuple[uuid.UUID, str, uuid.UUID]], Any] = functools.partial(
    tuple.__new__, row_class(HELD)
)


class Topology:
    """The graph of one tenant as of `snapshot` (`pg_current_snapshot()` as text), last
    brought current at `checked` (time.monotonic())."""

    def __init__(self, snapshot: str, checked: float) -> None:
        self.snapshot = snapshot
        self.checked = checked
        self.nodes: dict[uuid.UUID, int] = {}  # the CIs that exist
        self.ids: list[uuid.UUID] = []  # by node (a deleted CI's node stays, unlinked)
        self.rows: list[Any] = []  # by node, its `HELD` columns (None: the CI was deleted)
        self.down: list[Adjacency] = []  # provider → dependents
        self.up: list[Adjacency] = []  # dependent → providers
        self.edges: dict[uuid.UUID, Edge] = {}  # relationship id → its DOWNSTREAM edge
        self.retired: frozenset[int] = frozenset()
        self.required: dict[int, int] = {}  # redundant CI → how many providers it needs
        self._types: dict[uuid.UUID, uuid.UUID] = {}  # one object per relationship type
        self._class_ids: dict[uuid.UUID, uuid.UUID] = {}  # one object per CI class
        self._needs: dict[int, Need] = {}  # all relationship types: kept as changes come
        self._typed_needs: dict[frozenset[uuid.UUID], dict[int, Need]] = {}  # till a change

    def load(
        self,
        relationships: Sequence[Sequence[Any]],
        cis: Sequence[Sequence[Any]],
        retired: Iterable[uuid.UUID],
        required: Iterable[tuple[uuid.UUID, int]],
    ) -> None:
        """Fill an empty graph: `relationships` as columns (ids, providers, dependents,
        types), every CI as columns (ids, names, classes), the retired ones, the redundant
        ones with their requirement."""
        ci_ids, names, classes = cis
        for ci in ci_ids:
            self._node(ci)
        shared = self._class_ids
        self.rows = list(
            map(
                _held_row,
                zip(
                    self.ids,
                    names,
                    [shared.setdefault(kind, kind) for kind in classes],
                    strict=True,
                ),
            )
        )
        nodes, ids, types, make = self.nodes, self.ids, self._types, _edge
        relationship_ids, providers, dependents, type_ids = relationships
        ends = [
            (nodes[provider], nodes[dependent])
            for provider, dependent in zip(providers, dependents, strict=True)
        ]
        type_ids = [types.setdefault(type_id, type_id) for type_id in type_ids]
        # Each direction's edges made node by node: a CI's edges lie together in memory,
        # which the spread, following them, reads three times faster (the benchmark's).
        for adjacency, side in ((self.down, 0), (self.up, 1)):
            by_node: list[list[int]] = [[] for _ in ids]
            for position, pair in enumerate(ends):
                by_node[pair[side]].append(position)
            for node, positions in enumerate(by_node):
                links = adjacency[node]
                source = ids[node]
                for position in positions:
                    pair = ends[position]
                    target = pair[1 - side]
                    id = relationship_ids[position]
                    links.append((target, make((id, source, ids[target], type_ids[position]))))
        self.edges = {link[1].id: link[1] for links in self.down for link in links}
        self.retired = frozenset(nodes[ci] for ci in retired)
        self.required = {nodes[ci]: count for ci, count in required}
        self._needs = {ci: self._need(ci, None) for ci in self.required}

    def _node(self, ci: uuid.UUID) -> int:
        node = self.nodes.get(ci)
        if node is None:
            node = self.nodes[ci] = len(self.ids)
            self.ids.append(ci)
            self.rows.append(None)
            self.down.append([])
            self.up.append([])
        return node

    def apply(self, relationships: Iterable[Any], cis: Iterable[Any]) -> None:
        """Bring the graph to the state the rows were read in: `relationships` (id,
        provider_id, dependent_id, type_id; no provider: it no longer exists) and `cis`
        (id, present, retired, required, name, class_id) are every one that changed since
        `snapshot`."""
        touched: set[int] = set()  # CIs whose providers may count differently
        for row in relationships:
            old = self.edges.pop(row.id, None)
            if old is not None:
                p, d = self.nodes[old.source], self.nodes[old.target]
                self.down[p] = [link for link in self.down[p] if link[1].id != row.id]
                self.up[d] = [link for link in self.up[d] if link[1].id != row.id]
                touched.add(d)
            if row.provider_id is not None:
                p, d = self._node(row.provider_id), self._node(row.dependent_id)
                source, target = self.ids[p], self.ids[d]
                type_id = self._types.setdefault(row.type_id, row.type_id)
                self.edges[row.id] = edge = Edge(row.id, source, target, type_id)
                self.down[p] = [*self.down[p], (d, edge)]
                self.up[d] = [*self.up[d], (p, Edge(row.id, target, source, type_id))]
                touched.add(d)
        retired = set(self.retired)
        for row in cis:
            if not row.present:
                node = self.nodes.pop(row.id, None)
                if node is not None:
                    self.rows[node] = None
                    retired.discard(node)
                    self.required.pop(node, None)
                    self._needs.pop(node, None)
                continue
            node = self._node(row.id)
            kind = self._class_ids.setdefault(row.class_id, row.class_id)
            self.rows[node] = _held_row((self.ids[node], row.name, kind))
            if row.retired != (node in retired):
                (retired.add if row.retired else retired.discard)(node)
                touched.update(dependent for dependent, _ in self.down[node])
            if row.required is None:
                self.required.pop(node, None)
                self._needs.pop(node, None)
            elif self.required.get(node) != row.required:
                self.required[node] = row.required
                touched.add(node)
        self.retired = frozenset(retired)
        for node in touched:
            if node in self.required:
                self._needs[node] = self._need(node, None)
        self._typed_needs = {}

    def _need(self, ci: int, types: frozenset[uuid.UUID] | None) -> Need:
        """What a redundant CI needs, and its distinct working providers over `types`."""
        retired = self.retired
        return Need(
            self.required[ci],
            len(
                {
                    provider
                    for provider, edge in self.up[ci]
                    if provider not in retired and (types is None or edge.type_id in types)
                }
            ),
        )

    def _needs_over(self, types: frozenset[uuid.UUID] | None) -> dict[int, Need]:
        if types is None:
            return self._needs
        needs = self._typed_needs.get(types)
        if needs is None:
            if len(self._typed_needs) >= _TYPE_SETS:
                self._typed_needs.clear()
            needs = self._typed_needs[types] = {ci: self._need(ci, types) for ci in self.required}
        return needs

    def analyse(
        self,
        roots: Sequence[uuid.UUID],
        direction: Direction,
        depth: int,
        type_ids: Sequence[uuid.UUID] | None,
        redundancy: bool,
    ) -> Impact:
        """impact.analyse's answer, from memory (`redundancy`: DOWNSTREAM and asked)."""
        nodes, retired = self.nodes, self.retired
        adjacency = self.down if direction is Direction.DOWNSTREAM else self.up
        types = None if type_ids is None else frozenset(type_ids)
        outgoing = adjacency.__getitem__ if types is None else _typed(adjacency, types)
        reached = spread_over(
            [nodes[root] for root in dict.fromkeys(roots) if root in nodes],
            outgoing,
            depth,
            self._needs_over(types) if redundancy else None,
            retired,
        )
        # The lists as they are now: a later change replaces them, never edits them.
        lists = [adjacency[node] for node in reached]
        return Impact(
            reached=dict(zip(map(self.ids.__getitem__, reached), reached.values(), strict=True)),
            missing=[root for root in roots if root not in nodes],
            read=functools.partial(_leaving, lists, types, retired),
            held=functools.partial(self._held, list(reached)),
        )

    def _held(self, nodes: list[int], columns: frozenset[str] | None) -> list[Any] | None:
        """The rows of `nodes` (None for a CI deleted since), when `columns` are among those
        the graph holds; else None: the caller reads them."""
        if columns is None or not columns.issubset(HELD):
            return None
        return list(map(self.rows.__getitem__, nodes))


def _typed(adjacency: list[Adjacency], types: frozenset[uuid.UUID]) -> Callable[[int], Adjacency]:
    def outgoing(node: int) -> Adjacency:
        return [link for link in adjacency[node] if link[1].type_id in types]

    return outgoing


def _leaving(
    lists: Iterable[Adjacency], types: frozenset[uuid.UUID] | None, retired: frozenset[int]
) -> Iterator[Edge]:
    """The edges the statement would have read leaving the reached CIs: of the types asked,
    into no retired CI."""
    for links in lists:
        for target, edge in links:
            if target not in retired and (types is None or edge.type_id in types):
                yield edge
