"""Read one subgraph's SDL into a normalised, federation-free view plus its ownership facts.

Each type's definition and its ``extend type`` extensions are folded together; federation
types, ``_entities``/``_service`` and non-API directives are removed here so that merging only
ever sees client-facing shapes. Federation directives become facts on :class:`SubgraphType`
(keys, external/requires/provides/override per field) and on :class:`SubgraphDefinition`
(``@inaccessible``, ``@tag`` and ``@authenticated``/``@requiresScopes`` per coordinate), as
:mod:`router.composition.federation_directives` reads them. Directives this router does not
implement are reported as ``UNSUPPORTED_FEATURE``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from graphql import (
    ConstDirectiveNode,
    DirectiveDefinitionNode,
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

from router.composition.api_nodes import strip_enum_value, strip_field
from router.composition.external_rules import check_external_used
from router.composition.federation import (
    API_DIRECTIVES,
    APOLLO_SPECS_PREFIX,
    FEDERATION_ROOT_FIELDS,
    FEDERATION_SPEC_PREFIX,
    linked_names,
    list_argument,
    read_federation_names,
    string_argument,
)
from router.composition.federation_directives import FederationDirectiveReader
from router.composition.field_set import parse_field_set
from router.composition.model import CompositionIssue, KeyField, TypeKind
from router.composition.spelling import named_type
from router.composition.subgraph_definition import SubgraphDefinition, SubgraphType

DEFAULT_ROOT_NAMES = {
    OperationType.QUERY: "Query",
    OperationType.MUTATION: "Mutation",
    OperationType.SUBSCRIPTION: "Subscription",
}

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


def read_subgraph(name: str, sdl: str, issues: list[CompositionIssue]) -> SubgraphDefinition | None:
    """Parse and normalise one subgraph; problems are appended to ``issues``."""
    try:
        document = parse(sdl, no_location=True)
    except GraphQLSyntaxError as error:
        issues.append(CompositionIssue("INVALID_GRAPHQL", f"[{name}] {error.message}"))
        return None
    reader = _Reader(name, read_federation_names(document), issues)
    return reader.read(document)


class _Reader(FederationDirectiveReader):
    def read(self, document: DocumentNode) -> SubgraphDefinition:
        renames = _root_renames(document)
        types = self.definition.types
        for definition in document.definitions:
            if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
                self._element_directives(definition.directives, "")
                self._read_links(definition.directives)
                continue
            if isinstance(definition, DirectiveDefinitionNode):
                self.definition.custom.definitions[definition.name.value] = definition
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
        self.definition.federation_2 = self.names.is_federation_2
        if self.names.is_federation_2:
            check_external_used(self.subgraph, types, self.issues)
        _mark_nested_key_fields(types)
        mark_provided(types)
        self.check_contexts()
        self.check_known_directives()
        return self.definition

    def _read_links(self, directives: Iterable[ConstDirectiveNode] | None) -> None:
        """The specifications the subgraph links besides federation, with what it imports."""
        for directive in directives or ():
            url = string_argument(directive, "url")
            if directive.name.value != "link" or url is None:
                continue
            if url.startswith(APOLLO_SPECS_PREFIX) and not url.startswith(FEDERATION_SPEC_PREFIX):
                # Apollo knows these specifications' directives; others must be defined.
                namespace, directives_imported = linked_names(directive)
                self.linked_namespaces.add(namespace)
                self.linked_directives.update(directives_imported)
            self.definition.custom.links[url] = tuple(
                value.value
                for value in list_argument(directive, "import")
                if isinstance(value, StringValueNode)
            )

    def _fold(self, target: SubgraphType, node: TypeDefinitionNode | TypeExtensionNode) -> None:
        if isinstance(node, TypeDefinitionNode):
            target.has_definition = True
        description = getattr(node, "description", None)
        if description is not None and target.description is None:
            target.description = description
        external_type = False
        for directive in node.directives or ():
            canonical = self.names.canonical(directive.name.value)
            if canonical == "external":
                external_type = True  # Federation 2: every field of this definition
            elif canonical == "key":
                self._read_key(target, directive)
            elif canonical == "shareable":
                target.shareable_type = True
            elif canonical == "extends":
                target.extends = True
            elif canonical == "interfaceObject":
                target.interface_object = True
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
                target.enum_values[value.name.value] = strip_enum_value(value)
        for field_node in getattr(node, "fields", None) or ():
            self._read_field(target, field_node)
            if external_type:
                target.external_fields.add(field_node.name.value)

    def _read_field(
        self, target: SubgraphType, node: FieldDefinitionNode | InputValueDefinitionNode
    ) -> None:
        field_name = node.name.value
        coordinate = f"{target.name}.{field_name}"
        self._element_directives(node.directives, coordinate)
        for directive in node.directives or ():
            canonical = self.names.canonical(directive.name.value)
            if canonical == "shareable":
                self._check_shareable_field(target, coordinate)
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
        target.fields[field_name] = strip_field(node)


def _mark_field_set(
    types: dict[str, SubgraphType],
    type_name: str,
    field_set: tuple[KeyField, ...],
    marked: Callable[[SubgraphType], set[str]],
) -> None:
    """Add each field of ``field_set`` (nested ones on their own types) to ``marked(type)``."""
    target = types.get(type_name)
    if target is None:
        return
    for key_field in field_set:
        # ``... on Book { title }`` below a union or interface marks ``Book.title``.
        owner = types.get(key_field.on) if key_field.on else target
        if owner is None:
            continue
        marked(owner).add(key_field.name)
        node = owner.fields.get(key_field.name)
        if key_field.children and node is not None:
            _mark_field_set(types, named_type(node.type), key_field.children, marked)


def _mark_nested_key_fields(types: dict[str, SubgraphType]) -> None:
    """Fields below a key (``venue { id }``) are shareable like the key's top-level fields:
    every subgraph using the key resolves them."""
    for subgraph_type in list(types.values()):
        for key in subgraph_type.keys:
            for key_field in key.selection:
                node = subgraph_type.fields.get(key_field.name)
                if key_field.children and node is not None:
                    _mark_field_set(
                        types,
                        named_type(node.type),
                        key_field.children,
                        lambda target: target.shareable_fields,
                    )


def mark_provided(types: dict[str, SubgraphType]) -> None:
    """Record on each type which of its fields a ``@provides`` of the subgraph resolves."""
    for subgraph_type in types.values():
        subgraph_type.provided_fields.clear()
    for subgraph_type in list(types.values()):
        for field_name, text in subgraph_type.provides.items():
            _mark_field_set(
                types,
                named_type(subgraph_type.fields[field_name].type),
                parse_field_set(text),
                lambda target: target.provided_fields,
            )


def _root_renames(document: DocumentNode) -> dict[str, str]:
    """Map a subgraph's custom root type names onto the canonical Query/Mutation/Subscription."""
    renames: dict[str, str] = {}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            for operation_type in definition.operation_types or ():
                canonical = DEFAULT_ROOT_NAMES[operation_type.operation]
                renames[operation_type.type.name.value] = canonical
    return renames
