"""Composition: Federation 2 subgraph SDLs → client API schema + ownership metadata.

Knows subgraphs only through their SDL text; never imports subgraph code.
"""

from router.composition.access import AccessRequirement
from router.composition.compose import compose
from router.composition.model import (
    CompositionError,
    CompositionIssue,
    EntityKey,
    FieldJoin,
    FieldMetadata,
    KeyField,
    SubgraphSource,
    Supergraph,
    TypeKind,
    TypeMetadata,
)
from router.composition.printer import print_api_schema
from router.composition.supergraph_sdl import print_supergraph

__all__ = [
    "AccessRequirement",
    "CompositionError",
    "CompositionIssue",
    "EntityKey",
    "FieldJoin",
    "FieldMetadata",
    "KeyField",
    "SubgraphSource",
    "Supergraph",
    "TypeKind",
    "TypeMetadata",
    "compose",
    "print_api_schema",
    "print_supergraph",
]
