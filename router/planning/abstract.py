"""Abstract types as one subgraph sees them, for the group builder.

The API schema's interfaces and unions are the union of the subgraphs'; one subgraph may know
fewer members, none at all (an ``@interfaceObject`` stands for the interface there), or not
know an interface its objects implement elsewhere. A fetch must only carry type conditions
its subgraph knows, with the membership that subgraph gives them:

- a fragment on an abstract type is kept when the subgraph's own membership selects exactly
  the objects the supergraph's would, else it is rewritten to the concrete types the
  subgraph can return there (``... on Node { id }`` → ``... on Oven { id }``);
- in a subgraph where an interface is an ``@interfaceObject``, the objects carry the
  interface's name as ``__typename``: their concrete type, type conditions and the fields
  the subgraph lacks come from an ``_entities`` fetch of the interface from a subgraph that
  owns it (with ``@key`` on the interface).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import GraphQLInterfaceType, GraphQLUnionType

from router.composition import EntityKey, Supergraph, TypeKind
from router.composition.interface_entities import interface_owner
from router.composition.routes import can_provide


@dataclass(frozen=True, slots=True)
class InterfaceRoute:
    """Fetch ``interface`` from ``target`` by ``key``, for objects with any of ``typenames``."""

    target: str
    key: EntityKey
    interface: str
    typenames: frozenset[str]


class AbstractTypes:
    """Per-subgraph views of the supergraph's abstract types."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.schema = supergraph.schema

    def is_abstract(self, type_name: str) -> bool:
        """Whether the API schema's type is an interface or a union."""
        return isinstance(self.schema.get_type(type_name), GraphQLInterfaceType | GraphQLUnionType)

    def possible_in(self, subgraph: str, type_name: str) -> frozenset[str]:
        """The object types ``subgraph`` can return where it returns ``type_name``."""
        meta = self.supergraph.types[type_name]
        if meta.kind is TypeKind.OBJECT:
            return frozenset({type_name}) if subgraph in meta.defined_in else frozenset()
        return meta.possible_types.get(subgraph, frozenset())

    def covers(self, condition: str, type_name: str) -> bool:
        """Whether every object at a ``type_name`` position matches ``condition``."""
        if condition == type_name:
            return True
        if self.is_abstract(type_name) or not self.is_abstract(condition):
            return False
        abstract = self.schema.get_type(condition)
        return any(t.name == type_name for t in self.schema.get_possible_types(abstract))  # type: ignore[arg-type]

    def api_possible(self, type_name: str) -> frozenset[str]:
        """The object types of ``type_name`` in the API schema (itself for an object)."""
        graphql_type = self.schema.get_type(type_name)
        if isinstance(graphql_type, GraphQLInterfaceType | GraphQLUnionType):
            return frozenset(t.name for t in self.schema.get_possible_types(graphql_type))
        return frozenset({type_name})

    def is_interface_object(self, subgraph: str, type_name: str) -> bool:
        """Whether ``subgraph`` knows the interface ``type_name`` only as an object."""
        meta = self.supergraph.types.get(type_name)
        return meta is not None and subgraph in meta.interface_object_in

    def conditions(self, subgraph: str, scope_type: str, condition: str) -> tuple[str, ...]:
        """The type conditions that select, in ``subgraph`` at a ``scope_type`` position, the
        objects ``... on condition`` selects in the supergraph (none: nothing can match)."""
        here = self.possible_in(subgraph, scope_type)
        matching = here & self.api_possible(condition)
        if not matching:
            return ()
        if not self.is_abstract(condition):
            return (condition,)
        if condition in self.supergraph.types and self.possible_in(subgraph, condition) & here == (
            matching
        ):
            return (condition,)
        return tuple(sorted(matching))

    def owner_route(self, subgraph: str, interface: str) -> InterfaceRoute | None:
        """From an ``@interfaceObject`` in ``subgraph``: the subgraph owning the interface
        (a resolvable ``@key`` on it) that resolves its objects' concrete types."""
        owner = interface_owner(self.supergraph.types, interface, subgraph)
        if owner is None:
            return None
        target, key = owner
        return InterfaceRoute(target, key, interface, self._standing_for(interface))

    def interface_object_route(
        self, subgraph: str, interface: str, field_name: str
    ) -> InterfaceRoute | None:
        """A route from an ``interface`` position in ``subgraph`` to another subgraph's
        ``@interfaceObject`` resolving ``field_name`` for every implementation."""
        meta = self.supergraph.types[interface]
        field_meta = meta.fields.get(field_name)
        if field_meta is None:
            return None
        for target in sorted(field_meta.resolvable_in & meta.interface_object_in - {subgraph}):
            if field_meta.requires.get(target):
                continue  # required fields are gathered per implementation instead
            for key in meta.resolvable_keys(target):
                if can_provide(self.supergraph.types, interface, key.selection, subgraph):
                    return InterfaceRoute(target, key, interface, self._standing_for(interface))
        return None

    def _standing_for(self, interface: str) -> frozenset[str]:
        """Every ``__typename`` an object of ``interface`` may carry in the response."""
        return self.api_possible(interface) | {interface}
