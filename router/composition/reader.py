"""Read one subgraph's SDL into a normalised, federation-free view plus its ownership facts.

Each type's definition and its ``extend type`` extensions are folded together; federation
types, ``_entities``/``_service`` and non-API directives are removed here so that merging only
ever sees client-facing shapes. Federation directives become facts on :class:`SubgraphType`
(keys, external/requires/provides/override per field) and on :class:`SubgraphSchema`
(``@inaccessible``, ``@tag`` and ``@authenticated``/``@requiresScopes`` per coordinate).
Directives this router does not implement are reported as ``UNSUPPORTED_FEATURE``.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    parse,
)

from router.composition.access import AccessRequirement, read_scopes
from router.composition.federation import (
    API_DIRECTIVES,
    FEDERATION_ROOT_FIELDS,
    UNSUPPORTED_DIRECTIVES,
    FederationNames,
    read_federation_names,
    string_argument,
)
from router.composition.field_set import parse_field_set
from router.composition.model import CompositionIssue, EntityKey, KeyField, TypeKind
from router.composition.spelling import named_type

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
    requires: dict[str, str] = field(default_factory=dict)  # field → @requires field set
    provides: dict[str, str] = field(default_factory=dict)  # field → @provides field set
    overrides: dict[str, str] = field(default_factory=dict)  # field → subgraph it overrides
    # Fields some ``@provides`` of this subgraph resolves (below the providing field only).
    provided_fields: set[str] = field(default_factory=set)
    has_definition: bool = False  # a plain definition, not only ``extend type``
    extends: bool = False  # ``@extends`` (Federation 1 spelling of an extension)

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
class SubgraphSchema:
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


def read_subgraph(name: str, sdl: str, issues: list[CompositionIssue]) -> SubgraphSchema | None:
    """Parse and normalise one subgraph; problems are appended to ``issues``."""
    try:
        document = parse(sdl, no_location=True)
    except GraphQLSyntaxError as error:
        issues.append(CompositionIssue("INVALID_GRAPHQL", f"[{name}] {error.message}"))
        return None
    reader = _Reader(name, read_federation_names(document), issues)
    return reader.read(document)


class _Reader:
    def __init__(self, subgraph: str, names: FederationNames, issues: list[CompositionIssue]):
        self.subgraph = subgraph
        self.names = names
        self.issues = issues
        self.schema = SubgraphSchema(subgraph, {})

    def read(self, document: DocumentNode) -> SubgraphSchema:
        renames = _root_renames(document)
        types = self.schema.types
        for definition in document.definitions:
            if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
                self._element_directives(definition.directives, "")
                continue
            if not isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
                continue
            type_name = renames.get(definition.name.value, definition.name.value)
            if self.names.is_federation_type(type_name):
                continue
            kind = _KINDS[type(definition)]
            current = types.setdefault(type_name, SubgraphType(type_name, kind))
            if current.kind is not kind:
                self._issue(
                    "TYPE_KIND_MISMATCH",
                    f'[{self.subgraph}] type "{type_name}" is defined both as {current.kind} '
                    f"and {kind}",
                )
                continue
            self._fold(current, definition)
        for root in DEFAULT_ROOT_NAMES.values():
            root_type = types.get(root)
            if root_type is not None:
                for field_name in FEDERATION_ROOT_FIELDS:
                    root_type.fields.pop(field_name, None)
                if not root_type.fields:
                    # Only _entities/_service: the subgraph contributes no root field of its own.
                    del types[root]
        if not self.names.is_federation_2:
            _upgrade_federation_1(types.values())
        _mark_provided(types)
        return self.schema

    def _issue(self, code: str, message: str) -> None:
        self.issues.append(CompositionIssue(code, message))

    def _fold(self, target: SubgraphType, node: TypeDefinitionNode | TypeExtensionNode) -> None:
        if isinstance(node, TypeDefinitionNode):
            target.has_definition = True
        description = getattr(node, "description", None)
        if description is not None and target.description is None:
            target.description = description
        for directive in node.directives or ():
            canonical = self.names.canonical(directive.name.value)
            if canonical == "key":
                self._read_key(target, directive)
            elif canonical == "shareable":
                target.shareable_type = True
            elif canonical == "extends":
                target.extends = True
            elif directive.name.value in API_DIRECTIVES:
                target.directives.append(directive)
        self._element_directives(node.directives, target.name)
        for interface in getattr(node, "interfaces", None) or ():
            if interface.name.value not in target.interfaces:
                target.interfaces.append(interface.name.value)
        for member in getattr(node, "types", None) or ():
            if member.name.value not in target.members:
                target.members.append(member.name.value)
        for value in getattr(node, "values", None) or ():
            if isinstance(value, EnumValueDefinitionNode):
                self._element_directives(value.directives, f"{target.name}.{value.name.value}")
                target.enum_values[value.name.value] = _strip_enum_value(value)
        for field_node in getattr(node, "fields", None) or ():
            self._read_field(target, field_node)

    def _read_field(
        self, target: SubgraphType, node: FieldDefinitionNode | InputValueDefinitionNode
    ) -> None:
        field_name = node.name.value
        coordinate = f"{target.name}.{field_name}"
        self._element_directives(node.directives, coordinate)
        for directive in node.directives or ():
            canonical = self.names.canonical(directive.name.value)
            if canonical == "shareable":
                target.shareable_fields.add(field_name)
            elif canonical == "external":
                target.external_fields.add(field_name)
            elif canonical in ("requires", "provides"):
                self._read_field_set_argument(target, field_name, directive, canonical)
            elif canonical == "override":
                self._read_override(target, field_name, directive)
        if isinstance(node, FieldDefinitionNode):
            for argument in node.arguments or ():
                self._element_directives(
                    argument.directives, f"{coordinate}({argument.name.value}:)"
                )
        target.fields[field_name] = _strip_field(node)

    def _read_field_set_argument(
        self, target: SubgraphType, field_name: str, directive: DirectiveNode, canonical: str
    ) -> None:
        text = string_argument(directive, "fields")
        where = f'@{canonical} on "{target.name}.{field_name}" in "{self.subgraph}"'
        code = f"{canonical.upper()}_INVALID_FIELDS"
        if not text:
            self._issue(code, f"{where} has no fields")
            return
        try:
            parse_field_set(text)
        except GraphQLSyntaxError as error:
            self._issue(code, f'{where}: "{text}" is not a field set: {error.message}')
            return
        (target.requires if canonical == "requires" else target.provides)[field_name] = text

    def _read_override(
        self, target: SubgraphType, field_name: str, directive: DirectiveNode
    ) -> None:
        coordinate = f"{target.name}.{field_name}"
        if string_argument(directive, "label") is not None:
            self._issue(
                "UNSUPPORTED_FEATURE",
                f'@override(label:) on "{coordinate}" in "{self.subgraph}": progressive '
                "override is not supported by this router",
            )
            return
        source = string_argument(directive, "from")
        if not source:
            self._issue(
                "OVERRIDE_FROM_MISSING", f'@override on "{coordinate}" in "{self.subgraph}"'
            )
            return
        if source == self.subgraph:
            self._issue(
                "OVERRIDE_FROM_SELF_ERROR",
                f'Field "{coordinate}" in "{self.subgraph}" cannot override itself',
            )
            return
        target.overrides[field_name] = source

    def _element_directives(
        self, directives: tuple[ConstDirectiveNode, ...] | None, coordinate: str
    ) -> None:
        """``@inaccessible``, ``@tag``, access and unsupported directives, on any element."""
        for directive in directives or ():
            canonical = self.names.canonical(directive.name.value)
            if canonical in ("authenticated", "requiresScopes"):
                self._read_access(directive, canonical, coordinate)
            elif canonical == "inaccessible":
                self.schema.inaccessible.add(coordinate)
            elif canonical == "tag":
                tag = string_argument(directive, "name")
                if tag is not None:
                    self.schema.tags.setdefault(coordinate, []).append(tag)
            elif canonical in UNSUPPORTED_DIRECTIVES:
                where = f'on "{coordinate}" ' if coordinate else "on the schema "
                self._issue(
                    "UNSUPPORTED_FEATURE",
                    f'@{canonical} {where}in "{self.subgraph}" is not supported by this router',
                )

    def _read_access(self, directive: ConstDirectiveNode, canonical: str, coordinate: str) -> None:
        if canonical == "authenticated":
            requirement = AccessRequirement(authenticated=True)
        else:
            scopes = read_scopes(directive)
            if scopes is None:
                self._issue(
                    "INVALID_GRAPHQL",
                    f'[{self.subgraph}] @requiresScopes on "{coordinate}" needs '
                    "scopes: [[String!]!]!",
                )
                return
            requirement = AccessRequirement(scopes=scopes)
        known = self.schema.access.get(coordinate)
        self.schema.access[coordinate] = requirement if known is None else known.also(requirement)

    def _read_key(self, target: SubgraphType, directive: DirectiveNode) -> None:
        fields_text: str | None = None
        resolvable = True
        for argument in directive.arguments or ():
            if argument.name.value == "fields" and isinstance(argument.value, StringValueNode):
                fields_text = argument.value.value
            elif argument.name.value == "resolvable" and isinstance(
                argument.value, BooleanValueNode
            ):
                resolvable = argument.value.value
        if target.kind is TypeKind.INTERFACE:
            self._issue(
                "UNSUPPORTED_FEATURE",
                f'@key on interface "{target.name}" in "{self.subgraph}": entity interfaces '
                "are not supported by this router",
            )
            return
        if not fields_text:
            self._issue(
                "KEY_INVALID_FIELDS", f'[{self.subgraph}] @key on "{target.name}" has no fields'
            )
            return
        try:
            selection = parse_field_set(fields_text)
        except GraphQLSyntaxError as error:
            self._issue(
                "KEY_INVALID_FIELDS",
                f'[{self.subgraph}] @key(fields: "{fields_text}") on "{target.name}": '
                f"{error.message}",
            )
            return
        target.keys.append(EntityKey(fields_text, selection, resolvable))


def _upgrade_federation_1(types: Iterable[SubgraphType]) -> None:
    """Federation 1 semantics, as Apollo's composition upgrades such subgraphs.

    Value types (no ``@key``) are shareable, and key fields of an extension that are marked
    ``@external`` are resolved by the extending subgraph all the same.
    """
    for subgraph_type in types:
        if subgraph_type.kind is TypeKind.OBJECT and not subgraph_type.keys:
            subgraph_type.shareable_type = True
        for field_name in list(subgraph_type.external_fields):
            if subgraph_type.is_key_field(field_name):
                subgraph_type.external_fields.discard(field_name)


def _mark_provided(types: dict[str, SubgraphType]) -> None:
    """Record on each type which of its fields a ``@provides`` of the subgraph resolves."""

    def mark(type_name: str, field_set: tuple[KeyField, ...]) -> None:
        target = types.get(type_name)
        if target is None:
            return
        for key_field in field_set:
            target.provided_fields.add(key_field.name)
            node = target.fields.get(key_field.name)
            if key_field.children and node is not None:
                mark(named_type(node.type), key_field.children)

    for subgraph_type in list(types.values()):
        for field_name, text in subgraph_type.provides.items():
            mark(named_type(subgraph_type.fields[field_name].type), parse_field_set(text))


def _root_renames(document: DocumentNode) -> dict[str, str]:
    """Map a subgraph's custom root type names onto the canonical Query/Mutation/Subscription."""
    renames: dict[str, str] = {}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            for operation_type in definition.operation_types or ():
                canonical = DEFAULT_ROOT_NAMES[operation_type.operation]
                renames[operation_type.type.name.value] = canonical
    return renames


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
