"""``@inaccessible``: elements kept in the supergraph but hidden from the client API.

An element marked ``@inaccessible`` in any subgraph is hidden. What stays visible must not
need what is hidden (``REFERENCED_INACCESSIBLE``), and a type cannot lose all its fields or
values (``ONLY_INACCESSIBLE_CHILDREN``); both fail composition as Apollo's composer does.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import (
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
)

from router.composition.model import CompositionIssue
from router.composition.spelling import named_type


def api_definitions(
    definitions: list[TypeDefinitionNode],
    inaccessible: frozenset[str],
    issues: list[CompositionIssue],
) -> list[TypeDefinitionNode]:
    """The merged definitions without their ``@inaccessible`` elements."""
    if not inaccessible:
        return definitions
    hidden_types = {d.name.value for d in definitions if d.name.value in inaccessible}
    return [
        _filtered(definition, inaccessible, hidden_types, issues)
        for definition in definitions
        if definition.name.value not in hidden_types
    ]


def _filtered(
    node: TypeDefinitionNode,
    inaccessible: frozenset[str],
    hidden_types: set[str],
    issues: list[CompositionIssue],
) -> TypeDefinitionNode:
    name = node.name.value

    def referenced(coordinate: str, type_name: str) -> None:
        if type_name in hidden_types:
            issues.append(
                CompositionIssue(
                    "REFERENCED_INACCESSIBLE",
                    f'"{coordinate}" is visible but its type "{type_name}" is @inaccessible',
                )
            )

    def only_hidden(children: str) -> None:
        issues.append(
            CompositionIssue(
                "ONLY_INACCESSIBLE_CHILDREN",
                f'Type "{name}" is visible but all its {children} are @inaccessible',
            )
        )

    if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
        fields = []
        for field in node.fields or ():
            assert isinstance(field, FieldDefinitionNode)
            coordinate = f"{name}.{field.name.value}"
            if coordinate in inaccessible:
                continue
            referenced(coordinate, named_type(field.type))
            arguments = _visible_values(coordinate, field.arguments, inaccessible, referenced)
            fields.append(
                FieldDefinitionNode(
                    name=field.name,
                    description=field.description,
                    arguments=arguments,
                    type=field.type,
                    directives=field.directives,
                )
            )
        if not fields:
            only_hidden("fields")
        interfaces = tuple(i for i in node.interfaces or () if i.name.value not in hidden_types)
        return type(node)(
            name=node.name,
            description=node.description,
            interfaces=interfaces,
            directives=node.directives,
            fields=tuple(fields),
        )
    if isinstance(node, InputObjectTypeDefinitionNode):
        input_fields = _visible_values(name, node.fields, inaccessible, referenced, child=".")
        if not input_fields:
            only_hidden("fields")
        return InputObjectTypeDefinitionNode(
            name=node.name,
            description=node.description,
            directives=node.directives,
            fields=input_fields,
        )
    if isinstance(node, EnumTypeDefinitionNode):
        values = tuple(v for v in node.values or () if f"{name}.{v.name.value}" not in inaccessible)
        if not values:
            only_hidden("values")
        return EnumTypeDefinitionNode(
            name=node.name, description=node.description, directives=node.directives, values=values
        )
    if isinstance(node, UnionTypeDefinitionNode):
        members = tuple(m for m in node.types or () if m.name.value not in hidden_types)
        if not members:
            only_hidden("members")
        return UnionTypeDefinitionNode(
            name=node.name, description=node.description, directives=node.directives, types=members
        )
    return node


def _visible_values(
    owner: str,
    values: tuple[InputValueDefinitionNode, ...] | None,
    inaccessible: frozenset[str],
    referenced: Callable[[str, str], None],
    child: str = "",
) -> tuple[InputValueDefinitionNode, ...]:
    """Arguments (``owner(arg:)``) or input fields (``owner.field``) that stay visible."""
    visible = []
    for value in values or ():
        coordinate = f"{owner}.{value.name.value}" if child else f"{owner}({value.name.value}:)"
        if coordinate in inaccessible:
            continue
        referenced(coordinate, named_type(value.type))
        visible.append(value)
    return tuple(visible)
