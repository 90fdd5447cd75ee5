"""Small helpers shared by the composition modules: type references and subgraph lists."""

from __future__ import annotations

from collections.abc import Iterable

from graphql import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode


def named_type(type_node: TypeNode) -> str:
    """``[User!]!`` → ``User``."""
    while isinstance(type_node, NonNullTypeNode | ListTypeNode):
        type_node = type_node.type
    assert isinstance(type_node, NamedTypeNode)
    return type_node.name.value


def quoted(subgraphs: Iterable[str]) -> str:
    """``"a", "b"``: subgraph names as composition messages spell them."""
    return ", ".join(f'"{sg}"' for sg in subgraphs)
