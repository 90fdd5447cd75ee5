"""Copies of a subgraph's SDL nodes that keep only the client API's directives.

Federation and other subgraph machinery directives on fields, arguments and enum values do
not reach the merged API schema; see :data:`router.composition.federation.API_DIRECTIVES`.
"""

from __future__ import annotations

from typing import TypeVar

from graphql import (
    ConstDirectiveNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    InputValueDefinitionNode,
)

from router.composition.federation import API_DIRECTIVES

_ValueNode = TypeVar("_ValueNode", EnumValueDefinitionNode, InputValueDefinitionNode)


def _kept_directives(node: _ValueNode) -> tuple[ConstDirectiveNode, ...]:
    return tuple(d for d in node.directives or () if d.name.value in API_DIRECTIVES)


def strip_enum_value(node: EnumValueDefinitionNode) -> EnumValueDefinitionNode:
    """The enum value with only its API directives."""
    return EnumValueDefinitionNode(
        name=node.name, description=node.description, directives=_kept_directives(node)
    )


def _strip_input_value(node: InputValueDefinitionNode) -> InputValueDefinitionNode:
    return InputValueDefinitionNode(
        name=node.name,
        description=node.description,
        type=node.type,
        default_value=node.default_value,
        directives=_kept_directives(node),
    )


def strip_field(
    node: FieldDefinitionNode | InputValueDefinitionNode,
) -> FieldDefinitionNode | InputValueDefinitionNode:
    """The field or input field (and its arguments) with only their API directives."""
    if isinstance(node, InputValueDefinitionNode):
        return _strip_input_value(node)
    arguments = tuple(_strip_input_value(argument) for argument in node.arguments or ())
    kept = tuple(d for d in node.directives or () if d.name.value in API_DIRECTIVES)
    return FieldDefinitionNode(
        name=node.name,
        description=node.description,
        arguments=arguments,
        type=node.type,
        directives=kept,
    )
