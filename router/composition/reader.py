"""Read one subgraph's SDL into a normalised, federation-free view plus its ownership facts.

Each type's definition and its ``extend type`` extensions are folded together; federation
types, ``_entities``/``_service`` and non-API directives are removed here so that merging only
ever sees client-facing shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from graphql import (
    BooleanValueNode,
    ConstDirectiveNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    FieldNode,
    GraphQLSyntaxError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationType,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    SelectionSetNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    parse,
)

from router.composition.federation import (
    API_DIRECTIVES,
    FEDERATION_ROOT_FIELDS,
    FederationNames,
    read_federation_names,
)
from router.composition.model import CompositionIssue, EntityKey, KeyField, TypeKind

DEFAULT_ROOT_NAMES = {
    OperationType.QUERY: "Query",
    OperationType.MUTATION: "Mutation",
    OperationType.SUBSCRIPTION: "Subscription",
}

_ValueNode = TypeVar("_ValueNode", EnumValueDefinitionNode, InputValueDefinitionNode)

_KINDS: dict[type, TypeKind] = {
    ObjectTypeDefinitionNode: TypeKind.OBJECT,
    ObjectTypeExtensionNode: TypeKind.OBJECT,
    InterfaceTypeDefinitionNode: TypeKind.INTERFACE,
    InterfaceTypeExtensionNode: TypeKind.INTERFACE,
    UnionTypeDefinitionNode: TypeKind.UNION,
    UnionTypeExtensionNode: TypeKind.UNION,
    EnumTypeDefinitionNode: TypeKind.ENUM,
    EnumTypeExtensionNode: TypeKind.ENUM,
    InputObjectTypeDefinitionNode: TypeKind.INPUT,
    InputObjectTypeExtensionNode: TypeKind.INPUT,
    ScalarTypeDefinitionNode: TypeKind.SCALAR,
    ScalarTypeExtensionNode: TypeKind.SCALAR,
}


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

    def is_shareable(self, field_name: str) -> bool:
        """Fed 2: ``@shareable`` on the field or type, or being part of one of its keys."""
        return (
            self.shareable_type
            or field_name in self.shareable_fields
            or any(key_field.name == field_name for key in self.keys for key_field in key.selection)
        )


@dataclass(slots=True)
class SubgraphSchema:
    """A subgraph's client-facing types, keyed by (root-renamed) type name."""

    name: str
    types: dict[str, SubgraphType]


def read_subgraph(name: str, sdl: str, issues: list[CompositionIssue]) -> SubgraphSchema | None:
    """Parse and normalise one subgraph; problems are appended to ``issues``."""
    try:
        document = parse(sdl, no_location=True)
    except GraphQLSyntaxError as error:
        issues.append(CompositionIssue("INVALID_GRAPHQL", f"[{name}] {error.message}"))
        return None
    names = read_federation_names(document)
    if not names.is_federation_2:
        issues.append(
            CompositionIssue(
                "UNSUPPORTED_FEDERATION_VERSION",
                f"[{name}] has no Federation 2 @link; only Federation 2 subgraphs compose",
            )
        )
        return None
    renames = _root_renames(document)
    types: dict[str, SubgraphType] = {}
    for definition in document.definitions:
        if not isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            continue
        type_name = renames.get(definition.name.value, definition.name.value)
        if names.is_federation_type(type_name):
            continue
        kind = _KINDS[type(definition)]
        current = types.setdefault(type_name, SubgraphType(type_name, kind))
        if current.kind is not kind:
            issues.append(
                CompositionIssue(
                    "TYPE_KIND_MISMATCH",
                    f'[{name}] type "{type_name}" is defined both as {current.kind} and {kind}',
                )
            )
            continue
        _fold(current, definition, names, name, issues)
    for root in DEFAULT_ROOT_NAMES.values():
        root_type = types.get(root)
        if root_type is not None:
            for field_name in FEDERATION_ROOT_FIELDS:
                root_type.fields.pop(field_name, None)
            if not root_type.fields:
                # Only _entities/_service: the subgraph contributes no root field of its own.
                del types[root]
    return SubgraphSchema(name, types)


def _root_renames(document: DocumentNode) -> dict[str, str]:
    """Map a subgraph's custom root type names onto the canonical Query/Mutation/Subscription."""
    renames: dict[str, str] = {}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            for operation_type in definition.operation_types or ():
                canonical = DEFAULT_ROOT_NAMES[operation_type.operation]
                renames[operation_type.type.name.value] = canonical
    return renames


def _fold(
    target: SubgraphType,
    node: TypeDefinitionNode | TypeExtensionNode,
    names: FederationNames,
    subgraph: str,
    issues: list[CompositionIssue],
) -> None:
    description = getattr(node, "description", None)
    if description is not None and target.description is None:
        target.description = description
    for directive in node.directives or ():
        directive_name = directive.name.value
        if directive_name == names.key:
            key = _read_key(directive, target.name, subgraph, issues)
            if key is not None:
                target.keys.append(key)
        elif directive_name == names.shareable:
            target.shareable_type = True
        elif directive_name in API_DIRECTIVES:
            target.directives.append(directive)
    for interface in getattr(node, "interfaces", None) or ():
        if interface.name.value not in target.interfaces:
            target.interfaces.append(interface.name.value)
    for member in getattr(node, "types", None) or ():
        if member.name.value not in target.members:
            target.members.append(member.name.value)
    for value in getattr(node, "values", None) or ():
        if isinstance(value, EnumValueDefinitionNode):
            target.enum_values[value.name.value] = _strip_enum_value(value)
    for field_node in getattr(node, "fields", None) or ():
        field_name = field_node.name.value
        for directive in field_node.directives or ():
            if directive.name.value == names.shareable:
                target.shareable_fields.add(field_name)
            elif directive.name.value == names.external:
                target.external_fields.add(field_name)
        target.fields[field_name] = _strip_field(field_node)


def _kept_directives(node: _ValueNode) -> tuple[ConstDirectiveNode, ...]:
    return tuple(d for d in node.directives or () if d.name.value in API_DIRECTIVES)


def _strip_enum_value(node: EnumValueDefinitionNode) -> EnumValueDefinitionNode:
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


def _strip_field(
    node: FieldDefinitionNode | InputValueDefinitionNode,
) -> FieldDefinitionNode | InputValueDefinitionNode:
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


def _read_key(
    directive: DirectiveNode, type_name: str, subgraph: str, issues: list[CompositionIssue]
) -> EntityKey | None:
    fields_text: str | None = None
    resolvable = True
    for argument in directive.arguments or ():
        if argument.name.value == "fields" and isinstance(argument.value, StringValueNode):
            fields_text = argument.value.value
        elif argument.name.value == "resolvable" and isinstance(argument.value, BooleanValueNode):
            resolvable = argument.value.value
    if not fields_text:
        issues.append(
            CompositionIssue(
                "KEY_INVALID_FIELDS", f'[{subgraph}] @key on "{type_name}" has no fields'
            )
        )
        return None
    try:
        selection = parse(f"{{{fields_text}}}", no_location=True).definitions[0]
    except GraphQLSyntaxError as error:
        issues.append(
            CompositionIssue(
                "KEY_INVALID_FIELDS",
                f'[{subgraph}] @key(fields: "{fields_text}") on "{type_name}": {error.message}',
            )
        )
        return None
    return EntityKey(
        fields=fields_text,
        selection=_key_fields(selection.selection_set),  # type: ignore[attr-defined]
        resolvable=resolvable,
    )


def _key_fields(selection_set: SelectionSetNode | None) -> tuple[KeyField, ...]:
    if selection_set is None:
        return ()
    return tuple(
        KeyField(node.name.value, _key_fields(node.selection_set))
        for node in selection_set.selections
        if isinstance(node, FieldNode)
    )
