"""``plan()``: operation → query plan (root split, fetch groups, then plan nodes)."""

from __future__ import annotations

from itertools import count

from graphql import DocumentNode, OperationType, SelectionNode, get_operation_ast

from router.composition import Supergraph
from router.planning.builder import GroupBuilder
from router.planning.errors import PlanningError
from router.planning.fetch_group import FetchGroup
from router.planning.merging import merge_siblings
from router.planning.node_fanout import fanout_subgraphs, refetchable_selections
from router.planning.nodes import (
    FetchNode,
    FlattenNode,
    IntrospectionNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    SequenceNode,
)
from router.planning.operation import (
    INTROSPECTION_FIELDS,
    Field,
    Fragment,
    NormalizedOperation,
    Selection,
    normalize,
)
from router.planning.printing import (
    print_selection_set,
    print_variable_definitions,
    variables_used,
)
from router.planning.reach import fetchable, split_root_field
from router.planning.tree import selection_nodes

_INTROSPECTION = "\0introspection"


def plan(supergraph: Supergraph, document: DocumentNode, operation_name: str | None) -> QueryPlan:
    """Plan the named (or only) operation of a validated ``document``."""
    return plan_operation(supergraph, select_operation(supergraph, document, operation_name))


def select_operation(
    supergraph: Supergraph, document: DocumentNode, operation_name: str | None
) -> NormalizedOperation:
    """The named (or only) operation of a validated ``document``, normalised."""
    definition = get_operation_ast(document, operation_name)
    if definition is None:
        raise PlanningError(
            f'Unknown operation named "{operation_name}"'
            if operation_name
            else "Must provide operation name if query contains multiple operations",
            code="BAD_REQUEST",
        )
    return normalize(supergraph.schema, document, definition)


def plan_operation(supergraph: Supergraph, operation: NormalizedOperation) -> QueryPlan:
    """Plan a normalised operation (possibly pruned: an empty one plans to no fetch at all)."""
    return QueryPlan(operation, _Planner(supergraph, operation).root())


class _Planner:
    def __init__(self, supergraph: Supergraph, operation: NormalizedOperation) -> None:
        self.supergraph = supergraph
        self.operation = operation
        self.builder = GroupBuilder(supergraph)
        self.fetch_numbers = count()
        # Root fields split over two subgraphs: per subgraph, response key → its part.
        self.split: dict[str, dict[str, Field]] = {}
        # Relay's node/nodes asked of every subgraph resolving them: response key → subgraphs.
        self.fanout: dict[str, list[str]] = {}

    def root(self) -> PlanNode | None:
        operation = self.operation
        batches = self._batches()
        nodes: list[PlanNode] = []
        for subgraph, keys in batches:
            selections = _keep(operation.selections, keys, self.split.get(subgraph, {}))
            if subgraph == _INTROSPECTION:
                nodes.append(self._introspection(selections))
            else:
                group = self.builder.root_group(subgraph, operation.root_type, selections)
                response_keys = tuple(_root_fields(selections))
                nodes.append(self._node(group, operation.kind.value, response_keys))
        if self.fanout:
            nodes.append(self._fanout())
        if operation.kind is OperationType.MUTATION:
            return _combine(SequenceNode, nodes)
        return _combine(ParallelNode, nodes)

    def _fanout(self) -> PlanNode:
        """Relay's node/nodes (router/planning/node_fanout.py): one fetch per subgraph
        resolving them, in parallel, answers kept first non-null per position; then the
        entity fetches below, merged over all of them (they run on the merged answers)."""
        operation = self.operation
        keys = set(self.fanout)
        subgraphs = sorted({sg for found in self.fanout.values() for sg in found})
        fetches: list[PlanNode] = []
        dependents: list[FetchGroup] = []
        for subgraph in subgraphs:
            wanted = {key for key in keys if subgraph in self.fanout[key]}
            selections = refetchable_selections(
                self.supergraph, subgraph, _keep(operation.selections, wanted, {})
            )
            group = self.builder.root_group(subgraph, operation.root_type, selections)
            response_keys = tuple(_root_fields(selections))
            fetches.append(self._fetch(group, operation.kind.value, response_keys, coalesce=True))
            dependents.extend(group.dependents)
        children = [
            self._node(dependent, "query")
            for dependent in merge_siblings(self.supergraph, dependents)
        ]
        parallel = _combine(ParallelNode, fetches)
        assert parallel is not None
        if not children:
            return parallel
        return SequenceNode((parallel, _combine(ParallelNode, children)))  # type: ignore[arg-type]

    def _batches(self) -> list[tuple[str, set[str]]]:
        """Root response keys grouped by the subgraph that will resolve them.

        Queries: one batch per subgraph. Mutations: consecutive fields of one subgraph share a
        batch, so the batches executed in sequence keep the client's field order.
        """
        is_mutation = self.operation.kind is OperationType.MUTATION
        batches: list[tuple[str, set[str]]] = []
        for key, selected in _root_fields(self.operation.selections).items():
            if selected.name == "__typename":
                continue
            if selected.name in INTROSPECTION_FIELDS:
                subgraph = _INTROSPECTION
            else:
                root = self.operation.root_type
                fanout = None
                if self.operation.kind is OperationType.QUERY:
                    fanout = fanout_subgraphs(self.supergraph, root, selected)
                if fanout is not None:
                    self.fanout[key] = fanout
                    continue
                meta = self.supergraph.field(root, selected.name)
                if meta is None or not meta.resolvable_in:
                    raise PlanningError(
                        f'No subgraph resolves "{self.operation.root_type}.{selected.name}"'
                    )
                candidates = sorted(meta.resolvable_in)
                # Prefer subgraphs that plan everything selected below the field as well.
                whole = [
                    sg for sg in candidates if fetchable(self.supergraph, sg, root, (selected,))
                ]
                split = None
                is_query = self.operation.kind is OperationType.QUERY
                if not whole and is_query and _occurrences(self.operation.selections, key) == 1:
                    split = split_root_field(self.supergraph, candidates, root, selected)
                if split is not None:
                    # A query's root field asked of several subgraphs, each for its part.
                    for part_subgraph, part in split:
                        self.split.setdefault(part_subgraph, {})[key] = part
                        _add(batches, part_subgraph, key)
                    continue
                candidates = whole or candidates
                open_batches = batches[-1:] if is_mutation else batches
                subgraph = next((sg for sg, _ in open_batches if sg in candidates), candidates[0])
            if is_mutation:
                if batches and batches[-1][0] == subgraph:
                    batches[-1][1].add(key)
                else:
                    batches.append((subgraph, {key}))
            else:
                _add(batches, subgraph, key)
        return batches

    def _introspection(self, selections: tuple[Selection, ...]) -> IntrospectionNode:
        nodes = selection_nodes(selections)
        used = set(variables_used(nodes))
        definitions = [
            d for d in self.operation.variable_definitions if d.variable.name.value in used
        ]
        selection = print_selection_set(nodes)
        return IntrospectionNode(
            operation=f"query{print_variable_definitions(definitions)} {selection}",
            selection=selection,
        )

    def _node(self, group: FetchGroup, kind: str, response_keys: tuple[str, ...] = ()) -> PlanNode:
        fetch = self._fetch(group, kind, response_keys)
        node: PlanNode = fetch
        if group.requires is not None:
            selected = tuple(group.path_selections.get(path, frozenset()) for path in group.paths)
            node = FlattenNode(group.paths, fetch, selected if group.merged_paths else ())
        if not group.dependents:
            return node
        children = [
            self._node(dependent, "query")
            for dependent in merge_siblings(self.supergraph, group.dependents)
        ]
        return _combine(SequenceNode, [node, _combine(ParallelNode, children)])  # type: ignore[return-value,list-item]

    def _fetch(
        self,
        group: FetchGroup,
        kind: str,
        response_keys: tuple[str, ...],
        coalesce: bool = False,
    ) -> FetchNode:
        operation = self.operation
        client_variables = {d.variable.name.value for d in operation.variable_definitions}
        if group.requires is None:
            selections: list[SelectionNode] = group.selections
            requires = None
            representations = "representations"
        else:
            selections = group.entity_selections()
            requires = tuple(group.requires.values())
            representations = _free_name("representations", client_variables)
        used = set(variables_used(selections))
        definitions = [d for d in operation.variable_definitions if d.variable.name.value in used]
        variables = print_variable_definitions(definitions)
        selection = print_selection_set(selections)
        body = selection
        if requires is not None:
            declared = f"${representations}: [_Any!]!"
            variables = f"({declared}, {variables[1:]}" if definitions else f"({declared})"
            body = f"{{ _entities(representations: ${representations}) {selection} }}"
        number = next(self.fetch_numbers)
        name = f"{operation.name}__{group.subgraph}__{number}" if operation.name else None
        return FetchNode(
            subgraph=group.subgraph,
            operation=f"{kind}{' ' + name if name else ''}{variables} {body}",
            operation_name=name,
            variable_usages=tuple(d.variable.name.value for d in definitions),
            selection=selection,
            requires=requires,
            representations_variable=representations,
            response_keys=response_keys,
            coalesce=coalesce,
        )


def _combine(
    kind: type[SequenceNode] | type[ParallelNode], nodes: list[PlanNode]
) -> PlanNode | None:
    if not nodes:
        return None
    if len(nodes) == 1:
        return nodes[0]
    # A sequence inside a sequence (or parallel inside parallel) adds nothing but nesting.
    flat: list[PlanNode] = []
    for node in nodes:
        flat.extend(node.nodes if isinstance(node, kind) else (node,))
    return kind(tuple(flat))


def _root_fields(selections: tuple[Selection, ...]) -> dict[str, Field]:
    """First field per response key at the root, in document order (through fragments)."""
    found: dict[str, Field] = {}
    for selection in selections:
        if isinstance(selection, Fragment):
            for key, value in _root_fields(selection.selections).items():
                found.setdefault(key, value)
        else:
            found.setdefault(selection.response_key, selection)
    return found


def _keep(
    selections: tuple[Selection, ...], keys: set[str], parts: dict[str, Field]
) -> tuple[Selection, ...]:
    """The root selections whose response key is in ``keys``, fragments kept around them;
    a field split over two subgraphs replaced by this subgraph's part of it."""
    kept: list[Selection] = []
    for selection in selections:
        if isinstance(selection, Fragment):
            inner = _keep(selection.selections, keys, parts)
            if inner:
                kept.append(Fragment(selection.type_condition, selection.directives, inner))
        elif selection.response_key in keys:
            kept.append(parts.get(selection.response_key, selection))
    return tuple(kept)


def _add(batches: list[tuple[str, set[str]]], subgraph: str, key: str) -> None:
    """Add a response key to the (query) batch of ``subgraph``."""
    batch = next((b for b in batches if b[0] == subgraph), None)
    if batch is None:
        batches.append((subgraph, {key}))
    else:
        batch[1].add(key)


def _occurrences(selections: tuple[Selection, ...], key: str) -> int:
    """How often a root field answers ``key`` (through fragments): a field selected once can
    be split by replacing it with each subgraph's part."""
    return sum(
        _occurrences(s.selections, key) if isinstance(s, Fragment) else int(s.response_key == key)
        for s in selections
    )


def _free_name(wanted: str, taken: set[str]) -> str:
    name = wanted
    while name in taken:
        name += "_"
    return name
