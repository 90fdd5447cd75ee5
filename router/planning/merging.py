"""One ``_entities`` call per subgraph per plan step: merge sibling fetches.

Sibling groups (dependents of one fetch) run in the same step. When several go to the same
subgraph at different paths (an incident's ``assignee``, ``reporter`` and its comments'
``author``, all users), one call can take all their representations: the router collects
them at every path, deduplicates, and merges each answer back where it came from. Siblings
are merged only when the merged document stays valid GraphQL for that subgraph: they send the
same keys for a shared entity type, a response key names one field with one set of arguments
within a type, and a response key selected on two entity types (``email`` of a ``User`` and of
a ``Team``) has the same shape in both, as the subgraph declares them (``String!`` and
``String`` do not merge: GraphQL's field-merging rule). What cannot merge is fetched apart,
in the same step.
"""

from __future__ import annotations

from graphql import FieldNode, InlineFragmentNode, SelectionNode

from router.composition import Supergraph
from router.planning.fetch_group import FetchGroup
from router.planning.printing import print_arguments, print_selection

TYPENAME_REF = "String!"


def merge_siblings(supergraph: Supergraph, groups: list[FetchGroup]) -> list[FetchGroup]:
    """``groups`` with each mergeable same-subgraph sibling folded into the first one."""
    merged: list[FetchGroup] = []
    for group in groups:
        into = next((m for m in merged if _mergeable(supergraph, m, group)), None)
        if into is None:
            merged.append(group)
        else:
            _absorb(into, group)
    return merged


def _mergeable(supergraph: Supergraph, first: FetchGroup, second: FetchGroup) -> bool:
    if first.subgraph != second.subgraph or first.requires is None or second.requires is None:
        return False
    for type_name in first.parts.keys() & second.parts.keys():
        if first.requires[type_name] != second.requires[type_name]:
            return False
        if _conflict(_selections(first, type_name), _selections(second, type_name)):
            return False
    shapes = _Shapes(supergraph, first.subgraph)
    return not any(
        shapes.conflict(mine, _selections(first, mine), theirs, _selections(second, theirs))
        for mine in first.parts
        for theirs in second.parts
        if mine != theirs
    )


def _absorb(into: FetchGroup, other: FetchGroup) -> None:
    assert into.requires is not None and other.requires is not None
    if not into.path_selections:
        into.path_selections[into.path] = _response_keys(into)
    for path in other.paths:
        selected = other.path_selections.get(path) or _response_keys(other)
        # One path twice (siblings of different parents, as Relay's node fetches have):
        # collected once, with what either asks there.
        into.path_selections[path] = into.path_selections.get(path, frozenset()) | selected
    into.merged_paths.extend(p for p in other.paths if p not in into.paths)
    for type_name, part in other.parts.items():
        if type_name not in into.parts:
            into.parts[type_name] = part
            into.requires[type_name] = other.requires[type_name]
            continue
        mine = into.parts[type_name]
        seen = {print_selection(node) for node in _selections(into, type_name)}
        for node in [*part.scope.injected_nodes(), *part.selections]:
            printed = print_selection(node)
            if printed not in seen:
                seen.add(printed)
                mine.selections.append(node)
    into.dependents.extend(other.dependents)


def _response_keys(group: FetchGroup) -> frozenset[str]:
    """Top-level response keys a group asks for, over all its entity types."""
    return frozenset(
        key
        for type_name in group.parts
        for key in _fields_by_response_key(_selections(group, type_name))
    )


def _selections(group: FetchGroup, type_name: str) -> list[SelectionNode]:
    part = group.parts[type_name]
    return [*part.scope.injected_nodes(), *part.selections]


def _conflict(first: list[SelectionNode], second: list[SelectionNode]) -> bool:
    """Whether two selection sets on one type cannot be merged (GraphQL's field merging)."""
    by_key = _fields_by_response_key(first)
    for key, nodes in _fields_by_response_key(second).items():
        for node in nodes:
            for other in by_key.get(key, ()):
                if node.name.value != other.name.value or print_arguments(
                    node.arguments or ()
                ) != print_arguments(other.arguments or ()):
                    return True
                if (
                    node.selection_set is not None
                    and other.selection_set is not None
                    and _conflict(
                        list(node.selection_set.selections), list(other.selection_set.selections)
                    )
                ):
                    return True
    return False


def _fields_by_response_key(selections: list[SelectionNode]) -> dict[str, list[FieldNode]]:
    found: dict[str, list[FieldNode]] = {}
    for node in selections:
        if isinstance(node, FieldNode):
            key = node.alias.value if node.alias else node.name.value
            found.setdefault(key, []).append(node)
        elif isinstance(node, InlineFragmentNode):
            for key, nodes in _fields_by_response_key(list(node.selection_set.selections)).items():
                found.setdefault(key, []).extend(nodes)
    return found


class _Shapes:
    """GraphQL's "same response shape" rule for fields of different parent types under one
    response key, with each field's type as the fetch's subgraph declares it."""

    def __init__(self, supergraph: Supergraph, subgraph: str) -> None:
        self.supergraph = supergraph
        self.subgraph = subgraph

    def conflict(
        self,
        first_type: str,
        first: list[SelectionNode],
        second_type: str,
        second: list[SelectionNode],
    ) -> bool:
        mine = self._typed_fields(first_type, first)
        for key, theirs in self._typed_fields(second_type, second).items():
            for parent, node in theirs:
                for other_parent, other in mine.get(key, ()):
                    if self._differ(parent, node, other_parent, other):
                        return True
        return False

    def _differ(self, parent: str, node: FieldNode, other_parent: str, other: FieldNode) -> bool:
        ref, other_ref = self._type_ref(parent, node), self._type_ref(other_parent, other)
        if ref is None or other_ref is None:
            return True  # not known here: do not risk an invalid document
        named, other_named = _named(ref), _named(other_ref)
        if ref.replace(named, "_") != other_ref.replace(other_named, "_"):
            return True  # nullability or list wrapping differs
        if node.selection_set is None or other.selection_set is None:
            return named != other_named  # leaves must be the same scalar or enum
        return self.conflict(
            named,
            list(node.selection_set.selections),
            other_named,
            list(other.selection_set.selections),
        )

    def _type_ref(self, parent: str, node: FieldNode) -> str | None:
        if node.name.value == "__typename":
            return TYPENAME_REF
        meta = self.supergraph.field(parent, node.name.value)
        return None if meta is None else meta.type_refs.get(self.subgraph)

    def _typed_fields(
        self, parent: str, selections: list[SelectionNode]
    ) -> dict[str, list[tuple[str, FieldNode]]]:
        """Fields by response key, each with the type it is selected on."""
        found: dict[str, list[tuple[str, FieldNode]]] = {}
        for node in selections:
            if isinstance(node, FieldNode):
                key = node.alias.value if node.alias else node.name.value
                found.setdefault(key, []).append((parent, node))
            elif isinstance(node, InlineFragmentNode):
                on = node.type_condition.name.value if node.type_condition else parent
                nested = self._typed_fields(on, list(node.selection_set.selections))
                for key, fields in nested.items():
                    found.setdefault(key, []).extend(fields)
        return found


def _named(type_ref: str) -> str:
    return type_ref.strip("[]!")
