"""Plain data produced by composition: the supergraph and its ownership metadata.

Everything here is a frozen dataclass so the planner and the supergraph printer can read
ownership facts (keys, ``@requires``/``@provides``/``@override``, per-subgraph membership)
without touching graphql-core AST nodes. New facts are added as new fields with defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from graphql import GraphQLSchema

from router.composition.access import AccessRequirement
from router.composition.composed_directives import ComposedDirectives
from router.composition.cost_directives import NO_HINTS, CostHints


@dataclass(frozen=True, slots=True)
class SubgraphSource:
    """One subgraph as composition sees it: its name and the SDL it prints for ``_service``."""

    name: str
    sdl: str
    # Where the subgraph serves GraphQL over HTTP; ``None`` when it runs in-process.
    url: str | None = None


@dataclass(frozen=True, slots=True)
class CompositionIssue:
    """One reason composition failed; ``message`` names the coordinate and the subgraphs."""

    code: str
    message: str


class CompositionError(Exception):
    """Raised by :func:`router.composition.compose` with every issue found, not just the first."""

    def __init__(self, issues: list[CompositionIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(f"[{issue.code}] {issue.message}" for issue in issues))


class TypeKind(StrEnum):
    """The GraphQL kind of a named type, as far as composition cares."""

    OBJECT = "object"
    INTERFACE = "interface"
    UNION = "union"
    ENUM = "enum"
    INPUT = "input"
    SCALAR = "scalar"


@dataclass(frozen=True, slots=True)
class KeyField:
    """One field of a field set (``@key``, ``@requires``, ``@provides``).

    ``children`` holds the nested selection (``org { id }``); ``arguments`` the field's
    arguments as written (``(currency: "EUR")``, ``""`` for none); ``on`` the type condition
    of the inline fragment the field was selected in (``... on Car { size }``), if any.
    """

    name: str
    children: tuple[KeyField, ...] = ()
    arguments: str = ""
    on: str | None = None


@dataclass(frozen=True, slots=True)
class EntityKey:
    """A ``@key`` declared by one subgraph on an entity type."""

    fields: str
    selection: tuple[KeyField, ...]
    resolvable: bool = True


@dataclass(frozen=True, slots=True)
class FieldJoin:
    """How one subgraph declares a field: what ``@join__field`` records for it."""

    external: bool = False
    requires: str | None = None
    provides: str | None = None
    override: str | None = None
    # Progressive override: the label under which ``override`` applies (on both subgraphs).
    override_label: str | None = None


@dataclass(frozen=True, slots=True)
class FieldMetadata:
    """Who can resolve one field of an object or interface type."""

    type_name: str
    name: str
    # Subgraphs that define the field and can resolve it (not ``@external`` there, and not
    # taken over by another subgraph's ``@override(from:)``). A progressive override
    # (``label:``) counts as not applied here; :mod:`router.composition.override_labels`
    # gives the supergraph with some labels applied.
    resolvable_in: frozenset[str]
    shareable_in: frozenset[str] = frozenset()
    external_in: frozenset[str] = frozenset()
    # The named type the field returns (also for fields hidden by ``@inaccessible``).
    output_type: str = ""
    # Every subgraph that declares the field, with its federation directives.
    joins: Mapping[str, FieldJoin] = field(default_factory=dict)
    # Per resolving subgraph, the ``@requires`` field set that must be in the representation.
    requires: Mapping[str, tuple[KeyField, ...]] = field(default_factory=dict)
    # Per subgraph, the ``@provides`` field set it resolves below this field.
    provides: Mapping[str, tuple[KeyField, ...]] = field(default_factory=dict)
    # Per subgraph, the field's type as that subgraph declares it (``String!``, ``[Team!]``):
    # what a document sent to that subgraph is validated against.
    type_refs: Mapping[str, str] = field(default_factory=dict)
    # Per subgraph resolving the field of an implementation only through an
    # ``@interfaceObject``, the interface that object stands for (fetched as that type).
    interface_objects: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TypeMetadata:
    """Ownership facts about one named type of the API schema."""

    name: str
    kind: TypeKind
    defined_in: frozenset[str]
    fields: Mapping[str, FieldMetadata] = field(default_factory=dict)
    # Per subgraph, the ``@key``s it declares (empty mapping for non-entities).
    keys: Mapping[str, tuple[EntityKey, ...]] = field(default_factory=dict)
    # For interfaces and unions: per subgraph, the object types it knows as possible types.
    possible_types: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Subgraphs that only extend the type (``extend type`` / ``@extends``).
    extension_in: frozenset[str] = frozenset()
    # Objects and interfaces: per subgraph, the interfaces it says the type implements.
    implements: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Enums: per subgraph, the values it defines.
    enum_values: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Interfaces: subgraphs that declare the type as an object with ``@interfaceObject``.
    interface_object_in: frozenset[str] = frozenset()

    @property
    def is_entity(self) -> bool:
        """Whether any subgraph declares a ``@key`` on this type."""
        return any(self.keys.values())

    def resolvable_keys(self, subgraph: str) -> tuple[EntityKey, ...]:
        """Keys through which ``subgraph`` can resolve this entity from a representation."""
        return tuple(key for key in self.keys.get(subgraph, ()) if key.resolvable)


@dataclass(frozen=True, slots=True)
class Supergraph:
    """The composed API schema plus the metadata the planner needs per type and field."""

    schema: GraphQLSchema
    types: Mapping[str, TypeMetadata]
    subgraphs: tuple[str, ...]
    # Stable digest of the subgraph SDLs; part of every plan/document cache key.
    version: str
    # The whole composed schema, ``@inaccessible`` elements included (``schema`` hides them).
    supergraph_schema: GraphQLSchema | None = None
    # Coordinates hidden by ``@inaccessible``: ``Type``, ``Type.field``, ``Type.field(arg:)``.
    inaccessible: frozenset[str] = frozenset()
    # ``@tag`` names per coordinate (``""`` is the schema itself).
    tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Routing URL per subgraph, for the ``join__Graph`` enum of the supergraph SDL.
    urls: Mapping[str, str] = field(default_factory=dict)
    # ``@authenticated``/``@requiresScopes`` per coordinate (``Type`` or ``Type.field``),
    # merged over the subgraphs; the router prunes what a caller may not select.
    access: Mapping[str, AccessRequirement] = field(default_factory=dict)
    # ``@cost``/``@listSize``, merged over the subgraphs; read by the router's cost limit.
    cost: CostHints = NO_HINTS
    # Custom directives kept by ``@composeDirective`` (links, definitions, applications).
    composed_directives: ComposedDirectives = field(default_factory=ComposedDirectives)

    def field(self, type_name: str, field_name: str) -> FieldMetadata | None:
        """Metadata of ``type_name.field_name`` or ``None`` when no subgraph defines it."""
        meta = self.types.get(type_name)
        return None if meta is None else meta.fields.get(field_name)
