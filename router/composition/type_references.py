"""Merging the type of one field, argument or input field across subgraphs, by subtyping.

Federation 2 does not ask subgraphs to spell a type the same way. An output field takes the
most general of the types the subgraphs give it (``String`` over ``String!``, ``[Int]`` over
``[Int!]``, a union or interface over one of its members): every subgraph's answer is then a
valid answer of the supergraph's type. An argument or input field takes the most specific one
(``Int!`` over ``Int``): whatever the client sends is then accepted by every subgraph. Types
where neither is a subtype of the other are incompatible (``FIELD_TYPE_MISMATCH``, or
``FIELD_ARGUMENT_TYPE_MISMATCH`` for arguments).

Subtyping is Apollo's default relation: non-null is a subtype of nullable, wrappers propagate,
an object is a subtype of a union it belongs to and an interface it implements, in the merged
schema. A single value is not a subtype of a list of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from graphql import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode, print_ast

from router.composition.model import CompositionIssue, TypeKind


@dataclass(frozen=True, slots=True)
class Subtyping:
    """Which named types are direct subtypes of which, in the merged schema."""

    kinds: Mapping[str, TypeKind] = field(default_factory=dict)
    # Union name → its members, over every subgraph.
    members: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Object or interface name → the interfaces it implements, over every subgraph.
    implements: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def is_subtype(self, general: TypeNode, specific: TypeNode) -> bool:
        """Whether a value of ``specific`` is always a value of ``general``."""
        return _same(general, specific) or self.is_strict_subtype(general, specific)

    def is_strict_subtype(self, general: TypeNode, specific: TypeNode) -> bool:
        if isinstance(specific, ListTypeNode):
            return isinstance(general, ListTypeNode) and self.is_subtype(
                general.type, specific.type
            )
        if isinstance(specific, NonNullTypeNode):
            if isinstance(general, NonNullTypeNode):
                return self.is_subtype(general.type, specific.type)
            return self.is_subtype(general, specific.type)
        assert isinstance(specific, NamedTypeNode)
        if not isinstance(general, NamedTypeNode):
            return False
        specific_name, general_name = specific.name.value, general.name.value
        specific_kind = self.kinds.get(specific_name)
        general_kind = self.kinds.get(general_name)
        if general_kind is TypeKind.UNION:
            return specific_kind is TypeKind.OBJECT and specific_name in self.members.get(
                general_name, ()
            )
        if general_kind is TypeKind.INTERFACE and specific_kind in (
            TypeKind.OBJECT,
            TypeKind.INTERFACE,
        ):
            return general_name in self.implements.get(specific_name, ())
        return False


def merge_type_reference(
    coordinate: str,
    found: Sequence[tuple[str, TypeNode]],
    subtyping: Subtyping,
    *,
    input_position: bool = False,
    argument: bool = False,
) -> tuple[TypeNode, CompositionIssue | None]:
    """The merged type of the element at ``coordinate`` (per subgraph, its declared type).

    Returns the type to use and, when two subgraphs' types are incompatible, the issue.
    """
    merged: TypeNode | None = None
    incompatible = False
    for _, type_node in found:
        if merged is None or _same(merged, type_node):
            merged = type_node
        elif subtyping.is_strict_subtype(merged, type_node):
            if input_position:
                merged = type_node
        elif subtyping.is_strict_subtype(type_node, merged):
            if not input_position:
                merged = type_node
        else:
            incompatible = True
    assert merged is not None
    if not incompatible:
        return merged, None
    detail = ", ".join(f'type "{print_ast(type_node)}" in "{sg}"' for sg, type_node in found)
    kind = "argument" if argument else "field"
    return merged, CompositionIssue(
        "FIELD_ARGUMENT_TYPE_MISMATCH" if argument else "FIELD_TYPE_MISMATCH",
        f'Type of {kind} "{coordinate}" is incompatible across subgraphs: it has {detail}',
    )


def _same(one: TypeNode, other: TypeNode) -> bool:
    return print_ast(one) == print_ast(other)
