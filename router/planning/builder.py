"""Split a normalised operation into fetch groups, one per subgraph request.

Inside a fetch to subgraph S at type T, a field S can resolve (or that a parent field's
``@provides`` hands it) stays in the fetch; a field S cannot resolve on an entity makes S
return the entity's ``__typename`` and key, and moves the field into a dependent
``_entities`` group of the owning subgraph at that response path. Dependent groups can have
their own dependents, which is how A → B → A chains form, and how a field's ``@requires``
fields or a key known to a third subgraph ("key mashup") are fetched before it.
"""

from __future__ import annotations

from graphql import (
    DirectiveNode,
    FieldNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLUnionType,
    NameNode,
    SelectionNode,
    SelectionSetNode,
)

from router.composition import KeyField, Supergraph, TypeKind
from router.composition.field_set import merge_field_sets
from router.composition.routes import EntityRoute, can_provide, direct_route, entity_routes
from router.planning.errors import PlanningError
from router.planning.fetch_group import FetchGroup, dependent_group, inline_fragment
from router.planning.operation import Field, Fragment, Selection
from router.planning.scope import Scope, key_field_node

Conditions = tuple[tuple[DirectiveNode, ...], ...]


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
        if group.subgraph in meta.resolvable_in or scope.provides(selected.name):
            out.append(self._field_node(group, scope, selected))
            return
        if self._is_abstract(scope.type_name):
            # The subgraph's interface lacks the field: ask per concrete type it can return.
            for type_name in sorted(self._possible_in(group.subgraph, scope.type_name)):
                narrowed = Fragment(type_name, (), (selected,))
                self._fragment(group, scope, narrowed, out, conditions)
            return
        route = self._choose_route(group, scope, selected)
        type_name = scope.type_name
        parent = group
        if route.via is not None and route.via_key is not None:
            # Key mashup: the intermediate subgraph turns a key we have into the one we need.
            scope.inject_fields(route.via_key.selection, typename=True)
            parent = dependent_group(group, route.via, scope.path, type_name, route.via_key)
            parent.parts[type_name].scope.inject_fields(route.key.selection)
        else:
            scope.inject_fields(route.key.selection, typename=True)
        required = meta.requires.get(route.target, ())
        for required_field in required:
            if can_provide(self.supergraph.types, type_name, (required_field,), group.subgraph):
                scope.inject_fields((required_field,))
                continue
            # Fetched first from a subgraph resolving it; the target's fetch runs after that.
            helper = direct_route(
                self.supergraph.types, type_name, required_field.name, group.subgraph
            )
            assert helper is not None, "composition checked that @requires is reachable"
            scope.inject_fields(helper.key.selection, typename=True)
            if not (parent.subgraph == helper.target and parent.path == scope.path):
                parent = dependent_group(parent, helper.target, scope.path, type_name, helper.key)
            parent.parts[type_name].scope.inject_fields((required_field,))
        dependent = dependent_group(
            parent, route.target, scope.path, type_name, route.key, required
        )
        part = dependent.parts[type_name]
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
            child = Scope.for_selections(
                self._declared_type(group, scope, selected), path, selected.selections
            )
            child.provided = self._provided_below(group, scope, selected)
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

    def _declared_type(self, group: FetchGroup, scope: Scope, selected: Field) -> str:
        """The type ``group``'s subgraph returns for ``selected``: a member of the supergraph's
        union or interface where composition merged the subgraphs' types to the abstract one."""
        meta = self.supergraph.field(scope.type_name, selected.name)
        declared = None if meta is None else meta.type_refs.get(group.subgraph)
        if declared is None:
            return selected.type_name
        name = declared.strip("[]!")
        return name if name in self.supergraph.types else selected.type_name

    def _provided_below(
        self, group: FetchGroup, scope: Scope, selected: Field
    ) -> tuple[KeyField, ...]:
        """What ``group``'s subgraph resolves below ``selected`` thanks to ``@provides``."""
        meta = self.supergraph.field(scope.type_name, selected.name)
        own = meta.provides.get(group.subgraph, ()) if meta is not None else ()
        inherited = scope.provided_children(selected.name)
        return merge_field_sets(own, inherited)

    def _choose_route(self, group: FetchGroup, scope: Scope, selected: Field) -> EntityRoute:
        routes = entity_routes(
            self.supergraph.types, scope.type_name, selected.name, group.subgraph
        )
        if not routes:
            raise PlanningError(
                f'Cannot plan "{scope.type_name}.{selected.name}" from subgraph '
                f'"{group.subgraph}": no subgraph resolving it has a resolvable @key whose '
                f'fields "{group.subgraph}" can provide'
            )
        existing = {d.subgraph for d in group.dependents if d.path == scope.path}
        # Prefer a subgraph already fetched at this path: one request instead of two.
        return next((r for r in routes if r.via is None and r.target in existing), routes[0])

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


def _list_depth(output_type: GraphQLOutputType) -> int:
    depth = 0
    current = output_type
    while isinstance(current, GraphQLNonNull | GraphQLList):
        if isinstance(current, GraphQLList):
            depth += 1
        current = current.of_type
    return depth
