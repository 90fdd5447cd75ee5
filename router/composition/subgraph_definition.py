"""What one subgraph's SDL says, normalised: its client-facing types and their federation facts.

:func:`router.composition.reader.read_subgraph` builds these; merging only ever sees them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    ConstDirectiveNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    InputValueDefinitionNode,
    StringValueNode,
)

from router.composition.access import AccessRequirement
from router.composition.composed_directives import SubgraphComposedDirectives
from router.composition.cost_directives import ListSize
from router.composition.model import EntityKey, TypeKind


@dataclass(slots=True)
class SubgraphType:
    """One named type as a single subgraph defines it (definition and extensions folded)."""

    name: str
    kind: TypeKind
    description: StringValueNode | None = None
    # Output fields (objects, interfaces) or input fields (inputs), in SDL order.
    fields: dict[str, FieldDefinitionNode | InputValueDefinitionNode] = field(default_factory=dict)
    enum_values: dict[str, EnumValueDefinitionNode] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)  # union members
    interfaces: list[str] = field(default_factory=list)
    directives: list[ConstDirectiveNode] = field(default_factory=list)  # API directives only
    keys: list[EntityKey] = field(default_factory=list)
    shareable_type: bool = False
    shareable_fields: set[str] = field(default_factory=set)
    external_fields: set[str] = field(default_factory=set)
    requires: dict[str, str] = field(default_factory=dict)  # field → @requires field set
    provides: dict[str, str] = field(default_factory=dict)  # field → @provides field set
    overrides: dict[str, str] = field(default_factory=dict)  # field → subgraph it overrides
    # field → ``@override(label:)``: the override applies only when the label is enabled.
    override_labels: dict[str, str] = field(default_factory=dict)
    # Fields some ``@provides`` of this subgraph resolves (below the providing field only).
    provided_fields: set[str] = field(default_factory=set)
    has_definition: bool = False  # a plain definition, not only ``extend type``
    extends: bool = False  # ``@extends`` (Federation 1 spelling of an extension)
    # ``@interfaceObject``: this object type stands for the interface of that name.
    interface_object: bool = False

    @property
    def is_extension(self) -> bool:
        """Whether this subgraph only extends the type (``@join__type(extension: true)``)."""
        return self.extends or not self.has_definition

    def is_key_field(self, field_name: str) -> bool:
        """Whether the field is a top-level field of one of the type's keys here."""
        return any(key_field.name == field_name for key in self.keys for key_field in key.selection)

    def is_shareable(self, field_name: str) -> bool:
        """Fed 2: ``@shareable`` on the field or type, or being part of one of its keys."""
        return (
            self.shareable_type
            or field_name in self.shareable_fields
            or self.is_key_field(field_name)
        )


@dataclass(slots=True)
class SubgraphDefinition:
    """A subgraph's client-facing types, keyed by (root-renamed) type name."""

    name: str
    types: dict[str, SubgraphType]
    # Coordinates (``Type``, ``Type.field``, ``Type.field(arg:)``, ``Enum.VALUE``) marked
    # ``@inaccessible`` here.
    inaccessible: set[str] = field(default_factory=set)
    # ``@tag(name:)`` values per coordinate (``""`` for the schema).
    tags: dict[str, list[str]] = field(default_factory=dict)
    # ``@authenticated``/``@requiresScopes`` per coordinate (``Type`` or ``Type.field``).
    access: dict[str, AccessRequirement] = field(default_factory=dict)
    # ``@cost(weight:)`` per coordinate and ``@listSize`` per field.
    weights: dict[str, int] = field(default_factory=dict)
    list_sizes: dict[str, ListSize] = field(default_factory=dict)
    # Its own directives, their links and ``@composeDirective`` requests.
    custom: SubgraphComposedDirectives = field(default_factory=SubgraphComposedDirectives)
    # Whether the subgraph links the Federation 2 spec; Federation 1 subgraphs are upgraded
    # by :mod:`router.composition.federation_1` before merging.
    federation_2: bool = True


# One subgraph's definition of a type, with the subgraph's name: what merging takes per type.
Definition = tuple[str, SubgraphType]
