"""Split a normalised operation into fetch groups, one per subgraph request.

Inside a fetch to subgraph S at type T, a field S can resolve (or that a parent field's
``@provides`` hands it) stays in the fetch, but for what S cannot fetch below it, which
another subgraph resolving the field fetches (:mod:`router.planning.reach`, through the
entity's key as below); a field S cannot resolve on an entity makes S
return the entity's ``__typename`` and key, and moves the field into a dependent
``_entities`` group of the owning subgraph at that response path. Dependent groups can have
their own dependents, which is how A → B → A chains form, and how a field's ``@requires``
fields or a key known to a third subgraph ("key mashup") are fetched before it.

A ``@requires`` field goes through an ``_entities`` call even when the fetch's own subgraph
resolves it, if its required fields live elsewhere (they are fetched first, then the same
subgraph is asked again with them); a required field that has a ``@requires`` of its own is
fetched after its requirements, so chains run in order. At an abstract position, a field is
asked of the interface only when the subgraph resolves it for every object type it can
return there; otherwise it is asked per type (``@override`` or ``@requires`` on one of them).
"""

from __future__ import annotations

from dataclasses import replace

from graphql import (
    FieldNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    NameNode,
    SelectionNode,
    SelectionSetNode,
)

from router.composition import FieldMetadata, KeyField, Supergraph
from router.composition.field_set import merge_field_sets
from router.composition.routes import (
    EntityRoute,
    can_provide,
    entity_routes,
    required_route,
    resolves_plainly,
)
from router.planning.abstract import AbstractTypes
from router.planning.errors import PlanningError
from router.planning.fetch_group import FetchGroup, dependent_group, inline_fragment
from router.planning.interface_objects import Conditions, InterfaceObjectSteps, append_moved
from router.planning.operation import Field, Fragment, Selection
from router.planning.reach import fetchable, fetched_count, field_fetchable, split_field
from router.planning.scope import Scope, key_field_node


class GroupBuilder(InterfaceObjectSteps):
    """Builds fetch groups for one operation against one supergraph."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.abstract = AbstractTypes(supergraph)

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
        outer = conditions
        if fragment.directives:
            conditions = (*conditions, fragment.directives)
        condition = fragment.type_condition
        if condition is not None and self.abstract.covers(condition, scope.type_name):
            condition = None
        if condition is None:
            inner: list[SelectionNode] = []
            self._selections(group, scope, fragment.selections, inner, conditions)
            if inner and fragment.directives:
                out.append(inline_fragment(None, fragment.directives, inner))
            else:
                out.extend(inner)
            return
        if not self.abstract.is_abstract(scope.type_name):
            return  # an object never matches a disjoint type condition
        if self.abstract.is_interface_object(group.subgraph, scope.type_name):
            # Only the interface's owner knows which implementation an object is.
            route = self._owner_route(group, scope)
            self._through_interface(group, scope, route, outer, fragment=fragment)
            return
        # The conditions this subgraph knows (none: it never returns such an object here).
        for known in self.abstract.conditions(group.subgraph, scope.type_name, condition):
            narrowed = Scope.for_selections(known, scope.path, fragment.selections, parent=scope)
            inner = []
            self._selections(group, narrowed, fragment.selections, inner, conditions)
            inner[:0] = narrowed.injected_nodes()
            if inner:
                out.append(inline_fragment(known, fragment.directives, inner))

    def _field(
        self,
        group: FetchGroup,
        scope: Scope,
        selected: Field,
        out: list[SelectionNode],
        conditions: Conditions,
        requirements_met: bool = False,
    ) -> None:
        """Place ``selected`` in ``group`` or, when ``group``'s subgraph cannot resolve it
        here, in a dependent entity fetch. ``requirements_met``: ``group``'s representation
        already carries the field's ``@requires`` fields."""
        if selected.name == "__typename":
            # The router answers __typename of object positions itself; abstract positions
            # need the subgraph's answer to know the concrete type.
            if self.abstract.is_interface_object(group.subgraph, scope.type_name):
                owner = self._owner_route(group, scope)
                self._through_interface(group, scope, owner, conditions, selected=selected)
            elif self.abstract.is_abstract(scope.type_name):
                scope.inject_typename()
            return
        meta = self.supergraph.field(scope.type_name, selected.name)
        if meta is None:
            raise PlanningError(f'No subgraph defines "{scope.type_name}.{selected.name}"')
        if self._interface_object_requires(group, scope, selected, conditions, requirements_met):
            return
        abstract = self.abstract.is_abstract(scope.type_name)
        split = None
        if (
            scope.provides(selected.name)
            or (
                group.subgraph in meta.resolvable_in
                and (requirements_met or self._requirements_here(group, scope, meta))
                and self._every_type_resolves(group, scope, selected.name)
            )
        ) and not self._asked_per_type(group, scope, selected):
            split = self._split(group, scope, selected)
            if split is None:
                out.append(self._field_node(group, scope, selected))
                return
            # What this subgraph cannot fetch below the field comes from others: one part
            # through the route below, what is left by going round again.
            here, elsewhere, left = split
            if here:
                out.append(self._field_node(group, scope, replace(selected, selections=here)))
            if left:
                self._field(group, scope, replace(selected, selections=left), out, conditions)
            selected = replace(selected, selections=elsewhere)
        if abstract:
            interface_route = self.abstract.interface_object_route(
                group.subgraph, scope.type_name, selected.name
            )
            if interface_route is None and self.abstract.is_interface_object(
                group.subgraph, scope.type_name
            ):
                interface_route = self._owner_route(group, scope)
            if interface_route is not None:
                self._through_interface(
                    group, scope, interface_route, conditions, selected=selected
                )
                return
            # The subgraph's interface lacks the field: ask per concrete type it can return.
            for type_name in sorted(self.abstract.possible_in(group.subgraph, scope.type_name)):
                narrowed = Fragment(type_name, (), (selected,))
                self._fragment(group, scope, narrowed, out, conditions)
            return
        if group.subgraph in meta.resolvable_in and split is None:
            # Resolved here, but only from a representation carrying its @requires fields,
            # which live elsewhere: fetch those first, then come back to this subgraph
            # (unless another subgraph resolves it with nothing to fetch first).
            route = self._route_around_requirements(group, scope, selected)
        else:
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
        parent = self._fetch_required(group, scope, parent, required)
        # An @interfaceObject knows the entity as its interface (and only by that name).
        entity = route.entity_type or type_name
        typenames = frozenset({type_name}) if route.entity_type else frozenset()
        dependent = dependent_group(
            parent, route.target, scope.path, entity, route.key, required, typenames
        )
        part = dependent.parts[entity]
        moved: list[SelectionNode] = []
        self._field(dependent, part.scope, selected, moved, (), requirements_met=True)
        append_moved(part.selections, moved, conditions)

    def _every_type_resolves(self, group: FetchGroup, scope: Scope, field_name: str) -> bool:
        """At an abstract position: whether ``group``'s subgraph resolves the field for every
        object type it can return there (``@override`` or ``@requires`` on one of them sends
        that type's field elsewhere, so the interface's field cannot be asked for all)."""
        if not self.abstract.is_abstract(scope.type_name):
            return True
        for type_name in self.abstract.possible_in(group.subgraph, scope.type_name):
            meta = self.supergraph.field(type_name, field_name)
            if meta is None or group.subgraph not in meta.resolvable_in:
                return False
            if meta.requires.get(group.subgraph):
                return False
        return True

    def _requirements_here(self, group: FetchGroup, scope: Scope, meta: FieldMetadata) -> bool:
        """Whether ``group``'s subgraph has the field's ``@requires`` fields at ``scope``
        itself (it resolves them, or a parent's ``@provides`` hands them over)."""
        return all(
            scope.provides(required.name)
            or resolves_plainly(self.supergraph.types, scope.type_name, required, group.subgraph)
            for required in meta.requires.get(group.subgraph, ())
        )

    def _fetch_required(
        self,
        group: FetchGroup,
        scope: Scope,
        parent: FetchGroup,
        required: tuple[KeyField, ...],
        seen: frozenset[str] = frozenset(),
    ) -> FetchGroup:
        """Make ``required`` available at ``scope`` before a dependent of the returned group
        runs: fields ``group``'s subgraph resolves are selected in ``group``; the others are
        fetched by entity calls chained after ``parent``, each after its own ``@requires``."""
        type_name = scope.type_name
        types = self.supergraph.types
        for required_field in required:
            if resolves_plainly(types, type_name, required_field, group.subgraph):
                scope.inject_fields((required_field,))
                continue
            helper = required_route(types, type_name, required_field, group.subgraph, seen)
            if helper is None:
                raise PlanningError(
                    f'Cannot plan the @requires field "{type_name}.{required_field.name}" '
                    f'from subgraph "{group.subgraph}"'
                )
            scope.inject_fields(helper.key.selection, typename=True)
            field_meta = types[type_name].fields[required_field.name]
            needed = field_meta.requires.get(helper.target, ())
            parent = self._fetch_required(
                group, scope, parent, needed, seen | {required_field.name}
            )
            if not (
                not needed
                and parent.subgraph == helper.target
                and parent.path == scope.path
                and type_name in parent.parts
            ):
                parent = dependent_group(
                    parent, helper.target, scope.path, type_name, helper.key, needed
                )
            parent.parts[type_name].scope.inject_fields((required_field,))
        return parent

    def _route_around_requirements(
        self, group: FetchGroup, scope: Scope, selected: Field
    ) -> EntityRoute:
        """An entity route back into ``group``'s own subgraph, by a key it returns itself;
        a direct route to another subgraph resolving the field with nothing to fetch first
        (a shareable field) is taken instead when there is one."""
        types = self.supergraph.types
        meta = types[scope.type_name]
        requires = meta.fields[selected.name].requires
        for route in entity_routes(types, scope.type_name, selected.name, group.subgraph):
            if route.via is None and all(
                resolves_plainly(types, scope.type_name, required, group.subgraph)
                for required in requires.get(route.target, ())
            ):
                return route
        for key in meta.resolvable_keys(group.subgraph):
            if can_provide(types, scope.type_name, key.selection, group.subgraph):
                return EntityRoute(group.subgraph, key)
        raise PlanningError(
            f'Cannot plan "{scope.type_name}.{selected.name}" in subgraph "{group.subgraph}": '
            "its @requires fields live in other subgraphs, and it has no resolvable @key "
            "to be asked again with them"
        )

    def _field_node(self, group: FetchGroup, scope: Scope, selected: Field) -> FieldNode:
        selection_set = None
        if selected.selections:
            path = (*scope.path, selected.response_key, *("@",) * _list_depth(selected.output_type))
            child = Scope.for_selections(
                self._declared_type(group, scope, selected), path, selected.selections
            )
            child.provided = self._provided_below(group, scope, selected)
            # An @interfaceObject's __typename is not the object's type: never asked for.
            abstract = self.abstract
            if abstract.is_abstract(selected.type_name) and not abstract.is_interface_object(
                group.subgraph, selected.type_name
            ):
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

    def _split(
        self, group: FetchGroup, scope: Scope, selected: Field
    ) -> tuple[tuple[Selection, ...], tuple[Selection, ...], tuple[Selection, ...]] | None:
        """For a field ``group``'s subgraph resolves: what it fetches below the field, a
        part another subgraph must fetch and what is left for others (a shareable field
        returning a value type whose fields differ between subgraphs); ``None`` when it
        fetches it all (or nothing else can)."""
        if not selected.selections:
            return None
        provided = _provided_here(scope, selected)
        return split_field(self.supergraph, group.subgraph, scope.type_name, selected, provided)

    def _asked_per_type(self, group: FetchGroup, scope: Scope, selected: Field) -> bool:
        """At an abstract position, whether a field ``group``'s subgraph resolves is still
        better asked per object type: what is selected below it is out of reach here, and
        in reach from each object type (by its key, in other subgraphs)."""
        if not selected.selections or not self.abstract.is_abstract(scope.type_name):
            return False
        provided = _provided_here(scope, selected)
        supergraph, subgraph, type_name = self.supergraph, group.subgraph, scope.type_name
        if field_fetchable(supergraph, subgraph, type_name, selected, provided):
            return False
        return fetchable(supergraph, subgraph, type_name, (selected,), provided)

    def _choose_route(self, group: FetchGroup, scope: Scope, selected: Field) -> EntityRoute:
        found = entity_routes(self.supergraph.types, scope.type_name, selected.name, group.subgraph)
        # Prefer a subgraph that fetches everything selected below the field itself, then one
        # fetching the most of it (it splits off the rest), so every hop makes progress.
        type_name = scope.type_name
        eligible = [
            route
            for route in found
            if field_fetchable(self.supergraph, route.target, type_name, selected)
        ] or found
        coverage = {
            route: fetched_count(self.supergraph, route.target, type_name, selected)
            for route in eligible
        }
        best = max(coverage.values(), default=0)
        routes = [route for route in eligible if coverage[route] == best]
        if not routes:
            raise PlanningError(
                f'Cannot plan "{scope.type_name}.{selected.name}" from subgraph '
                f'"{group.subgraph}": no subgraph resolving it has a resolvable @key whose '
                f'fields "{group.subgraph}" can provide'
            )
        existing = {d.subgraph for d in group.dependents if d.path == scope.path}
        # Prefer a subgraph already fetched at this path: one request instead of two.
        return next((r for r in routes if r.via is None and r.target in existing), routes[0])


def _provided_here(scope: Scope, selected: Field) -> tuple[KeyField, ...]:
    """What a parent's ``@provides`` says about ``selected`` at ``scope``, as a field set."""
    if not scope.provides(selected.name):
        return ()
    return (KeyField(selected.name, scope.provided_children(selected.name)),)


def _list_depth(output_type: GraphQLOutputType) -> int:
    depth = 0
    current = output_type
    while isinstance(current, GraphQLNonNull | GraphQLList):
        if isinstance(current, GraphQLList):
            depth += 1
        current = current.of_type
    return depth
