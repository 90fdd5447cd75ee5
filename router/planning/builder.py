"""Split a normalised operation into fetch groups, one per subgraph request.

Inside a fetch to subgraph S at type T, a field S can resolve stays in the fetch; a field S
cannot resolve on an entity makes S return the entity's ``__typename`` and key, and moves the
field into a dependent ``_entities`` group of the owning subgraph at that response path.
Dependent groups can have their own dependents, which is how A → B → A chains form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DirectiveNode,
    FieldNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLUnionType,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionNode,
    SelectionSetNode,
)

from router.composition import EntityKey, KeyField, Supergraph, TypeKind
from router.planning.errors import PlanningError
from router.planning.operation import Field, Fragment, Selection
from router.planning.scope import Scope, key_field_node

Conditions = tuple[tuple[DirectiveNode, ...], ...]


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
    requires: dict[str, tuple[KeyField, ...]] | None = None
    selections: list[SelectionNode] = field(default_factory=list)
    parts: dict[str, EntityPart] = field(default_factory=dict)
    dependents: list[FetchGroup] = field(default_factory=list)

    def entity_selections(self) -> list[SelectionNode]:
        """What goes inside ``_entities(...)``: one inline fragment per entity type."""
        return [
            inline_fragment(type_name, (), [*part.scope.injected_nodes(), *part.selections])
            for type_name, part in self.parts.items()
        ]


class GroupBuilder:
    """Builds fetch groups for one operation against one supergraph."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.schema = supergraph.schema

    def root_group(
        self, subgraph: str, root_type: str, selections: tuple[Selection, ...]
    ) -> FetchGroup:
        """The fetch of ``selections`` (root fields all resolvable in ``subgraph``)."""
        group = FetchGroup(subgraph, ())
        scope = Scope.for_selections(root_type, (), selections)
        self._selections(group, scope, selections, group.selections, ())
        group.selections[:0] = scope.injected_nodes()
        return group

    def _selections(
        self,
        group: FetchGroup,
        scope: Scope,
        selections: tuple[Selection, ...],
        out: list[SelectionNode],
        conditions: Conditions,
    ) -> None:
        for selection in selections:
            if isinstance(selection, Fragment):
                self._fragment(group, scope, selection, out, conditions)
            else:
                self._field(group, scope, selection, out, conditions)

    def _fragment(
        self,
        group: FetchGroup,
        scope: Scope,
        fragment: Fragment,
        out: list[SelectionNode],
        conditions: Conditions,
    ) -> None:
        if fragment.directives:
            conditions = (*conditions, fragment.directives)
        condition = fragment.type_condition
        if condition is not None and self._covers(condition, scope.type_name):
            condition = None
        if condition is None:
            inner: list[SelectionNode] = []
            self._selections(group, scope, fragment.selections, inner, conditions)
            if inner and fragment.directives:
                out.append(inline_fragment(None, fragment.directives, inner))
            else:
                out.extend(inner)
            return
        if not self._is_abstract(scope.type_name):
            return  # an object never matches a disjoint type condition
        if not self._possible_in(group.subgraph, scope.type_name) & self._possible_in(
            group.subgraph, condition
        ):
            return  # this subgraph can never return an object of that type here
        narrowed = Scope.for_selections(condition, scope.path, fragment.selections, parent=scope)
        inner = []
        self._selections(group, narrowed, fragment.selections, inner, conditions)
        inner[:0] = narrowed.injected_nodes()
        if inner:
            out.append(inline_fragment(condition, fragment.directives, inner))

    def _field(
        self,
        group: FetchGroup,
        scope: Scope,
        selected: Field,
        out: list[SelectionNode],
        conditions: Conditions,
    ) -> None:
        if selected.name == "__typename":
            # The router answers __typename of object positions itself; abstract positions
            # need the subgraph's answer to know the concrete type.
            if self._is_abstract(scope.type_name):
                scope.inject_typename()
            return
        meta = self.supergraph.field(scope.type_name, selected.name)
        if meta is None:
            raise PlanningError(f'No subgraph defines "{scope.type_name}.{selected.name}"')
        if group.subgraph in meta.resolvable_in:
            out.append(self._field_node(group, scope, selected))
            return
        if self._is_abstract(scope.type_name):
            # The subgraph's interface lacks the field: ask per concrete type it can return.
            for type_name in sorted(self._possible_in(group.subgraph, scope.type_name)):
                narrowed = Fragment(type_name, (), (selected,))
                self._fragment(group, scope, narrowed, out, conditions)
            return
        target, key = self._choose_target(group, scope, selected)
        scope.inject_key(key)
        dependent = self._dependent(group, target, scope.path)
        part = dependent.parts.get(scope.type_name)
        if part is None:
            part = EntityPart(Scope(scope.type_name, scope.path))
            dependent.parts[scope.type_name] = part
            assert dependent.requires is not None
            dependent.requires[scope.type_name] = key.selection
        moved: list[SelectionNode] = []
        self._field(dependent, part.scope, selected, moved, ())
        # Keep enclosing @skip/@include so the owning subgraph skips the work as well.
        for directives in reversed(conditions):
            moved = [inline_fragment(None, directives, moved)]
        part.selections.extend(moved)

    def _field_node(self, group: FetchGroup, scope: Scope, selected: Field) -> FieldNode:
        selection_set = None
        if selected.selections:
            path = (*scope.path, selected.response_key, *("@",) * _list_depth(selected.output_type))
            child = Scope.for_selections(selected.type_name, path, selected.selections)
            if self._is_abstract(selected.type_name):
                child.inject_typename()
            inner: list[SelectionNode] = []
            self._selections(group, child, selected.selections, inner, ())
            inner[:0] = child.injected_nodes()
            if not inner:
                # Only router-answered fields were asked; a selection set cannot be empty.
                inner = [key_field_node(KeyField("__typename"))]
            selection_set = SelectionSetNode(selections=tuple(inner))
        return FieldNode(
            alias=NameNode(value=selected.alias) if selected.alias else None,
            name=NameNode(value=selected.name),
            arguments=selected.arguments,
            directives=selected.directives,
            selection_set=selection_set,
        )

    def _choose_target(
        self, group: FetchGroup, scope: Scope, selected: Field
    ) -> tuple[str, EntityKey]:
        type_meta = self.supergraph.types[scope.type_name]
        meta = type_meta.fields[selected.name]
        existing = {d.subgraph for d in group.dependents if d.path == scope.path}
        # Prefer a subgraph already fetched at this path: one request instead of two.
        for target in sorted(meta.resolvable_in, key=lambda sg: (sg not in existing, sg)):
            for key in type_meta.resolvable_keys(target):
                if self._key_readable(scope.type_name, key.selection, group.subgraph):
                    return target, key
        raise PlanningError(
            f'Cannot plan "{scope.type_name}.{selected.name}" from subgraph "{group.subgraph}": '
            f"no subgraph resolving it ({', '.join(sorted(meta.resolvable_in))}) has a "
            f'resolvable @key whose fields "{group.subgraph}" can provide'
        )

    def _key_readable(self, type_name: str, key: tuple[KeyField, ...], subgraph: str) -> bool:
        for key_field in key:
            meta = self.supergraph.field(type_name, key_field.name)
            if meta is None or subgraph not in meta.resolvable_in:
                return False
            if key_field.children:
                field_type = self.schema.get_type(type_name).fields[key_field.name].type  # type: ignore[union-attr]
                child_type = _named(field_type)
                if not self._key_readable(child_type, key_field.children, subgraph):
                    return False
        return True

    @staticmethod
    def _dependent(group: FetchGroup, target: str, path: tuple[str, ...]) -> FetchGroup:
        for dependent in group.dependents:
            if dependent.subgraph == target and dependent.path == path:
                return dependent
        dependent = FetchGroup(target, path, requires={})
        group.dependents.append(dependent)
        return dependent

    def _is_abstract(self, type_name: str) -> bool:
        return isinstance(self.schema.get_type(type_name), GraphQLInterfaceType | GraphQLUnionType)

    def _covers(self, condition: str, type_name: str) -> bool:
        """Whether every object at a ``type_name`` position matches ``condition``."""
        if condition == type_name:
            return True
        if self._is_abstract(type_name) or not self._is_abstract(condition):
            return False
        abstract = self.schema.get_type(condition)
        return any(t.name == type_name for t in self.schema.get_possible_types(abstract))  # type: ignore[arg-type]

    def _possible_in(self, subgraph: str, type_name: str) -> frozenset[str]:
        meta = self.supergraph.types[type_name]
        if meta.kind is TypeKind.OBJECT:
            return frozenset({type_name}) if subgraph in meta.defined_in else frozenset()
        return meta.possible_types.get(subgraph, frozenset())


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


def _list_depth(output_type: GraphQLOutputType) -> int:
    depth = 0
    current = output_type
    while isinstance(current, GraphQLNonNull | GraphQLList):
        if isinstance(current, GraphQLList):
            depth += 1
        current = current.of_type
    return depth


def _named(output_type: GraphQLOutputType) -> str:
    current = output_type
    while isinstance(current, GraphQLNonNull | GraphQLList):
        current = current.of_type
    return current.name
