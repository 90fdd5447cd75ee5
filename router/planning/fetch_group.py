"""Fetch groups under construction: one subgraph request each, with its dependents.

The planner's builder (:mod:`router.planning.builder`) fills them; merging
(:mod:`router.planning.merging`) folds siblings together; the plan tree is read off them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DirectiveNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionNode,
    SelectionSetNode,
)

from router.composition import EntityKey, KeyField
from router.composition.field_set import merge_field_sets
from router.planning.nodes import RequiredEntity
from router.planning.printing import print_selection
from router.planning.scope import Scope


@dataclass(eq=False, slots=True)
class EntityPart:
    """The ``... on T { ... }`` of one entity type inside an ``_entities`` fetch."""

    scope: Scope
    selections: list[SelectionNode] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class FetchGroup:
    """A subgraph request under construction; root groups have ``requires is None``."""

    subgraph: str
    path: tuple[str, ...]
    requires: dict[str, RequiredEntity] | None = None
    selections: list[SelectionNode] = field(default_factory=list)
    parts: dict[str, EntityPart] = field(default_factory=dict)
    dependents: list[FetchGroup] = field(default_factory=list)
    # Further paths whose representations this entity fetch also takes (merged siblings).
    merged_paths: list[tuple[str, ...]] = field(default_factory=list)
    # After a merge: per path, the entity fields the client selected there (error routing).
    path_selections: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict)

    @property
    def paths(self) -> tuple[tuple[str, ...], ...]:
        """Every response path the representations of this fetch are collected at."""
        return (self.path, *self.merged_paths)

    def entity_selections(self) -> list[SelectionNode]:
        """What goes inside ``_entities(...)``: one inline fragment per entity type (a
        client field that is also fetched for a later ``@requires`` is asked once)."""
        found: list[SelectionNode] = []
        for type_name, part in self.parts.items():
            injected = part.scope.injected_nodes()
            printed = {print_selection(node) for node in injected}
            own = [node for node in part.selections if print_selection(node) not in printed]
            found.append(inline_fragment(type_name, (), [*injected, *own]))
        return found


def dependent_group(
    group: FetchGroup,
    target: str,
    path: tuple[str, ...],
    type_name: str,
    key: EntityKey,
    required: tuple[KeyField, ...] = (),
    typenames: frozenset[str] = frozenset(),
) -> FetchGroup:
    """The dependent of ``group`` fetching ``type_name`` from ``target`` by ``key``."""
    dependent = next(
        (
            d
            for d in group.dependents
            if d.subgraph == target
            and d.path == path
            and d.requires is not None
            and d.requires.get(type_name, RequiredEntity(type_name, key.selection)).key
            == key.selection
        ),
        None,
    )
    if dependent is None:
        dependent = FetchGroup(target, path, requires={})
        group.dependents.append(dependent)
    assert dependent.requires is not None
    known = dependent.requires.get(type_name)
    dependent.requires[type_name] = RequiredEntity(
        type_name,
        key.selection,
        merge_field_sets(known.required if known else (), required),
        (known.typenames if known else frozenset()) | typenames,
    )
    if type_name not in dependent.parts:
        dependent.parts[type_name] = EntityPart(Scope(type_name, path))
    return dependent


def inline_fragment(
    type_condition: str | None,
    directives: tuple[DirectiveNode, ...],
    selections: list[SelectionNode],
) -> InlineFragmentNode:
    """``... on T @dir { selections }`` (type condition optional)."""
    return InlineFragmentNode(
        type_condition=NamedTypeNode(name=NameNode(value=type_condition))
        if type_condition
        else None,
        directives=directives,
        selection_set=SelectionSetNode(selections=tuple(selections)),
    )
