"""Planning steps for ``@interfaceObject`` positions, mixed into the group builder.

In a subgraph where an interface is an ``@interfaceObject``, an object's concrete type, the
type conditions on it and the interface fields that subgraph lacks come from an ``_entities``
fetch of the interface (``... on Interface``) from a subgraph owning it with a ``@key``, or
from another ``@interfaceObject`` resolving the field; an ``@interfaceObject`` field whose
``@requires`` its own subgraph cannot meet gets the required fields from the owner first.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from graphql import DirectiveNode, SelectionNode

from router.composition import Supergraph
from router.planning.abstract import AbstractTypes, InterfaceRoute
from router.planning.errors import PlanningError
from router.planning.fetch_group import FetchGroup, dependent_group, inline_fragment
from router.planning.operation import Field, Fragment
from router.planning.printing import print_selection
from router.planning.scope import Scope

Conditions = tuple[tuple[DirectiveNode, ...], ...]


class InterfaceObjectSteps(ABC):
    """The builder's steps through interfaces; the builder provides the generic ones."""

    supergraph: Supergraph
    abstract: AbstractTypes

    @abstractmethod
    def _field(
        self,
        group: FetchGroup,
        scope: Scope,
        selected: Field,
        out: list[SelectionNode],
        conditions: Conditions,
        requirements_met: bool = False,
    ) -> None:
        """Plan one selected field at ``scope`` of ``group`` (the builder's generic step);
        ``requirements_met``: the representation carries its ``@requires`` fields."""

    @abstractmethod
    def _fragment(
        self,
        group: FetchGroup,
        scope: Scope,
        fragment: Fragment,
        out: list[SelectionNode],
        conditions: Conditions,
    ) -> None:
        """Plan one inline fragment at ``scope`` of ``group`` (the builder's generic step)."""

    def _interface_object_requires(
        self,
        group: FetchGroup,
        scope: Scope,
        selected: Field,
        conditions: Conditions,
        requirements_met: bool,
    ) -> bool:
        """An ``@interfaceObject`` field whose ``@requires`` its own subgraph cannot give here:
        the interface's owner fetches the required fields, then an entity fetch of the
        interface from this subgraph resolves the field (``False``: nothing to do here)."""
        interface, subgraph = scope.type_name, group.subgraph
        meta = self.supergraph.field(interface, selected.name)
        required = meta.requires.get(subgraph, ()) if meta is not None else ()
        if requirements_met or not required:
            return False  # the representation carries them (or none): resolved right here
        if not self.abstract.is_interface_object(subgraph, interface):
            return False
        key = next(iter(self.supergraph.types[interface].resolvable_keys(subgraph)), None)
        if key is None:
            raise PlanningError(
                f'Cannot plan "{interface}.{selected.name}" from subgraph "{subgraph}": its '
                "@requires needs an entity fetch, and the @interfaceObject has no resolvable @key"
            )
        owner = self._owner_route(group, scope)
        scope.inject_fields(owner.key.selection)
        owner_group = dependent_group(
            group, owner.target, scope.path, interface, owner.key, typenames=owner.typenames
        )
        owner_group.parts[interface].scope.inject_fields((*key.selection, *required))
        dependent = dependent_group(
            owner_group, subgraph, scope.path, interface, key, required, owner.typenames
        )
        part = dependent.parts[interface]
        moved: list[SelectionNode] = []
        self._field(dependent, part.scope, selected, moved, (), requirements_met=True)
        append_moved(part.selections, moved, conditions)
        return True

    def _owner_route(self, group: FetchGroup, scope: Scope) -> InterfaceRoute:
        route = self.abstract.owner_route(group.subgraph, scope.type_name)
        if route is None:
            raise PlanningError(
                f'Cannot plan "{scope.type_name}" from subgraph "{group.subgraph}": no '
                "subgraph owning the interface has a resolvable @key it can provide"
            )
        return route

    def _through_interface(
        self,
        group: FetchGroup,
        scope: Scope,
        route: InterfaceRoute,
        conditions: Conditions,
        *,
        selected: Field | None = None,
        fragment: Fragment | None = None,
    ) -> None:
        """Fetch ``selected`` (or ``fragment``) of the interface at ``scope`` from
        ``route.target``, by the interface's key, as ``... on Interface``."""
        interface = scope.type_name
        # An @interfaceObject answers its own name as __typename: it must never overwrite
        # the concrete type another subgraph gave (representations do not need it).
        scope.inject_fields(
            route.key.selection,
            typename=not self.abstract.is_interface_object(group.subgraph, interface),
        )
        dependent = dependent_group(
            group, route.target, scope.path, interface, route.key, typenames=route.typenames
        )
        part = dependent.parts[interface]
        if not self.abstract.is_interface_object(route.target, interface):
            part.scope.inject_typename()  # the owner tells the concrete type
        moved: list[SelectionNode] = []
        if fragment is not None:
            self._fragment(dependent, part.scope, fragment, moved, ())
        elif selected is not None:
            self._field(dependent, part.scope, selected, moved, ())
        append_moved(part.selections, moved, conditions)


def append_moved(
    selections: list[SelectionNode], moved: list[SelectionNode], conditions: Conditions
) -> None:
    """Add what moved to an entity fetch, once, inside the enclosing ``@skip``/``@include``
    (so the owning subgraph skips the work as well)."""
    for directives in reversed(conditions):
        moved = [inline_fragment(None, directives, moved)]
    seen = {print_selection(node) for node in selections}
    selections.extend(node for node in moved if print_selection(node) not in seen)
