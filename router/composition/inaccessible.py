"""``@inaccessible``: elements kept in the supergraph but hidden from the client API.

An element marked ``@inaccessible`` in any subgraph is hidden. What stays visible must not
need what is hidden, as Apollo's composer checks: a visible field, argument or input field
cannot have a hidden type (``REFERENCED_INACCESSIBLE``) nor a default naming a hidden enum
value (``DEFAULT_VALUE_USES_INACCESSIBLE``); a type cannot lose all its fields, values or
members (``ONLY_INACCESSIBLE_CHILDREN``); a hidden field cannot implement a visible interface
field (``IMPLEMENTED_BY_INACCESSIBLE``); a required argument or input field cannot be hidden
(``REQUIRED_INACCESSIBLE``); ``Query`` cannot be hidden (``QUERY_ROOT_TYPE_INACCESSIBLE``).
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import (
    EnumTypeDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListValueNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectValueNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    ValueNode,
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
    _check_hidden_elements(definitions, inaccessible, hidden_types, issues)
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


def _check_hidden_elements(
    definitions: list[TypeDefinitionNode],
    inaccessible: frozenset[str],
    hidden_types: set[str],
    issues: list[CompositionIssue],
) -> None:
    """The rules about what a visible element needs of hidden ones, beyond types it names."""
    by_name = {d.name.value: d for d in definitions}
    if "Query" in hidden_types:
        issues.append(
            CompositionIssue(
                "QUERY_ROOT_TYPE_INACCESSIBLE",
                'Type "Query" is @inaccessible but is the root query type, which must be in '
                "the API schema.",
            )
        )
    for node in definitions:
        name = node.name.value
        if name in hidden_types:
            continue
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            interfaces = [
                by_name[i.name.value] for i in node.interfaces or () if i.name.value in by_name
            ]
            for field in node.fields or ():
                assert isinstance(field, FieldDefinitionNode)
                coordinate = f"{name}.{field.name.value}"
                if coordinate in inaccessible:
                    for interface in interfaces:
                        implemented = f"{interface.name.value}.{field.name.value}"
                        if (
                            interface.name.value not in hidden_types
                            and implemented not in inaccessible
                            and _has_field(interface, field.name.value)
                        ):
                            issues.append(
                                CompositionIssue(
                                    "IMPLEMENTED_BY_INACCESSIBLE",
                                    f'Field "{coordinate}" is @inaccessible but implements the '
                                    f'interface field "{implemented}", which is in the API '
                                    "schema.",
                                )
                            )
                    continue
                for argument in field.arguments or ():
                    _check_value(
                        f"{coordinate}({argument.name.value}:)",
                        argument,
                        "Argument",
                        by_name,
                        inaccessible,
                        issues,
                    )
        elif isinstance(node, InputObjectTypeDefinitionNode):
            for input_field in node.fields or ():
                _check_value(
                    f"{name}.{input_field.name.value}",
                    input_field,
                    "Input field",
                    by_name,
                    inaccessible,
                    issues,
                )


def _has_field(node: TypeDefinitionNode, field_name: str) -> bool:
    return any(f.name.value == field_name for f in getattr(node, "fields", None) or ())


def _check_value(
    coordinate: str,
    node: InputValueDefinitionNode,
    kind: str,
    by_name: dict[str, TypeDefinitionNode],
    inaccessible: frozenset[str],
    issues: list[CompositionIssue],
) -> None:
    """An argument or input field of a visible element: hidden and required, or a default
    value naming a hidden enum value."""
    if coordinate in inaccessible:
        if isinstance(node.type, NonNullTypeNode) and node.default_value is None:
            owner = "its field" if kind == "Argument" else "its type"
            issues.append(
                CompositionIssue(
                    "REQUIRED_INACCESSIBLE",
                    f'{kind} "{coordinate}" is @inaccessible but is a required '
                    f"{kind.lower()} of {owner}.",
                )
            )
        return
    if node.default_value is None:
        return
    for value in sorted(
        _hidden_values(node.default_value, named_type(node.type), by_name, inaccessible)
    ):
        issues.append(
            CompositionIssue(
                "DEFAULT_VALUE_USES_INACCESSIBLE",
                f'Enum value "{value}" is @inaccessible but is used in the default value of '
                f'"{coordinate}", which is in the API schema.',
            )
        )


def _hidden_values(
    value: ValueNode,
    type_name: str,
    by_name: dict[str, TypeDefinitionNode],
    inaccessible: frozenset[str],
) -> set[str]:
    """Hidden enum values (``Enum.VALUE``) a default value of type ``type_name`` names."""
    if isinstance(value, ListValueNode):
        return {
            v
            for item in value.values
            for v in _hidden_values(item, type_name, by_name, inaccessible)
        }
    definition = by_name.get(type_name)
    if isinstance(value, EnumValueNode):
        coordinate = f"{type_name}.{value.value}"
        return {coordinate} if coordinate in inaccessible else set()
    if isinstance(value, ObjectValueNode) and isinstance(definition, InputObjectTypeDefinitionNode):
        types = {f.name.value: named_type(f.type) for f in definition.fields or ()}
        return {
            hidden
            for field in value.fields
            if field.name.value in types
            for hidden in _hidden_values(
                field.value, types[field.name.value], by_name, inaccessible
            )
        }
    return set()
