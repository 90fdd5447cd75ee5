"""Merge the normalised subgraph types into API type definitions plus ownership metadata.

Federation 2 rules: object and interface types take the union of their fields (a field
resolved by several subgraphs must be shareable there, ``@override(from:)`` takes a field
away from its source), field types must agree, arguments and input types are intersected,
union members are united, enums are merged by usage (see :mod:`router.composition.enums`)
and descriptions are kept. ``@inaccessible`` elements stay in the merged definitions; the
API schema is filtered from them later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from graphql import (
    EnumTypeDefinitionNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    print_ast,
)

from router.composition.enums import merge_enums
from router.composition.field_set import parse_field_set
from router.composition.model import (
    CompositionIssue,
    FieldJoin,
    FieldMetadata,
    TypeKind,
    TypeMetadata,
)
from router.composition.spelling import named_type, quoted
from router.composition.subgraph_definition import SubgraphDefinition, SubgraphType

Definition = tuple[str, SubgraphType]


def merge_types(
    subgraphs: Iterable[SubgraphDefinition], issues: list[CompositionIssue]
) -> tuple[list[TypeDefinitionNode], dict[str, TypeMetadata]]:
    """Merge every named type across ``subgraphs`` (already sorted by subgraph name)."""
    by_name: dict[str, list[Definition]] = {}
    for subgraph in subgraphs:
        for subgraph_type in subgraph.types.values():
            by_name.setdefault(subgraph_type.name, []).append((subgraph.name, subgraph_type))
    possible = _possible_types(by_name)
    nodes: list[TypeDefinitionNode] = []
    metadata: dict[str, TypeMetadata] = {}
    for name in sorted(by_name):
        definitions = by_name[name]
        kinds = {definition.kind for _, definition in definitions}
        if len(kinds) > 1:
            spelled = ", ".join(f'{definition.kind} in "{sg}"' for sg, definition in definitions)
            issues.append(
                CompositionIssue("TYPE_KIND_MISMATCH", f'Type "{name}" is defined as {spelled}')
            )
            continue
        node, meta = _merge_type(name, kinds.pop(), definitions, possible.get(name, {}), issues)
        nodes.append(node)
        metadata[name] = meta
    return merge_enums(nodes, metadata, issues), metadata


def _possible_types(by_name: dict[str, list[Definition]]) -> dict[str, dict[str, frozenset[str]]]:
    """Per abstract type and subgraph, the object types that subgraph says can appear there."""
    found: dict[str, dict[str, set[str]]] = {}
    for definitions in by_name.values():
        for subgraph, definition in definitions:
            if definition.kind is TypeKind.OBJECT:
                for interface in definition.interfaces:
                    found.setdefault(interface, {}).setdefault(subgraph, set()).add(definition.name)
            elif definition.kind is TypeKind.UNION:
                found.setdefault(definition.name, {}).setdefault(subgraph, set()).update(
                    definition.members
                )
    return {
        name: {subgraph: frozenset(types) for subgraph, types in per_subgraph.items()}
        for name, per_subgraph in found.items()
    }


def _merge_type(
    name: str,
    kind: TypeKind,
    definitions: list[Definition],
    possible: dict[str, frozenset[str]],
    issues: list[CompositionIssue],
) -> tuple[TypeDefinitionNode, TypeMetadata]:
    defined_in = frozenset(subgraph for subgraph, _ in definitions)
    description = next((d.description for _, d in definitions if d.description), None)
    directives = next((tuple(d.directives) for _, d in definitions if d.directives), ())
    name_node = NameNode(value=name)
    extension_in = frozenset(sg for sg, d in definitions if d.is_extension)
    meta = TypeMetadata(
        name=name,
        kind=kind,
        defined_in=defined_in,
        possible_types=possible,
        extension_in=extension_in,
        enum_values={sg: frozenset(d.enum_values) for sg, d in definitions}
        if kind is TypeKind.ENUM
        else {},
    )
    node: TypeDefinitionNode
    # Only object and interface types carry field ownership and keys; other kinds keep `meta`.
    if kind in (TypeKind.OBJECT, TypeKind.INTERFACE):
        fields, field_meta = _merge_output_fields(name, kind, definitions, issues)
        interfaces = _unique(i for _, d in definitions for i in d.interfaces)
        node_class = (
            ObjectTypeDefinitionNode if kind is TypeKind.OBJECT else InterfaceTypeDefinitionNode
        )
        node = node_class(
            name=name_node,
            description=description,
            interfaces=tuple(NamedTypeNode(name=NameNode(value=i)) for i in interfaces),
            directives=directives,
            fields=fields,
        )
        keys = {sg: tuple(d.keys) for sg, d in definitions if d.keys}
        _check_keys(name, definitions, issues)
        meta = TypeMetadata(
            name=name,
            kind=kind,
            defined_in=defined_in,
            fields=field_meta,
            keys=keys,
            possible_types=possible,
            extension_in=extension_in,
            implements={sg: tuple(d.interfaces) for sg, d in definitions if d.interfaces},
        )
    elif kind is TypeKind.INPUT:
        node = InputObjectTypeDefinitionNode(
            name=name_node,
            description=description,
            directives=directives,
            fields=_merge_input_fields(name, definitions, issues),
        )
    elif kind is TypeKind.ENUM:
        values: dict[str, EnumValueDefinitionNode] = {}
        for _, definition in definitions:
            for value_name, value in definition.enum_values.items():
                values.setdefault(value_name, value)
        node = EnumTypeDefinitionNode(
            name=name_node,
            description=description,
            directives=directives,
            values=tuple(values.values()),
        )
    elif kind is TypeKind.UNION:
        members = _unique(m for _, d in definitions for m in d.members)
        node = UnionTypeDefinitionNode(
            name=name_node,
            description=description,
            directives=directives,
            types=tuple(NamedTypeNode(name=NameNode(value=m)) for m in members),
        )
    else:
        node = ScalarTypeDefinitionNode(
            name=name_node, description=description, directives=directives
        )
    return node, meta


def _merge_output_fields(
    type_name: str,
    kind: TypeKind,
    definitions: list[Definition],
    issues: list[CompositionIssue],
) -> tuple[tuple[FieldDefinitionNode, ...], dict[str, FieldMetadata]]:
    occurrences: dict[str, list[tuple[str, FieldDefinitionNode, SubgraphType]]] = {}
    for subgraph, definition in definitions:
        for field_name, field_node in definition.fields.items():
            occurrences.setdefault(field_name, []).append((subgraph, field_node, definition))  # type: ignore[arg-type]
    nodes: list[FieldDefinitionNode] = []
    metadata: dict[str, FieldMetadata] = {}
    for field_name, found in occurrences.items():
        coordinate = f"{type_name}.{field_name}"
        _check_same_type(coordinate, [(sg, node) for sg, node, _ in found], issues)
        overridden = {d.overrides[field_name] for _, _, d in found if field_name in d.overrides}
        resolving = [
            sg for sg, _, d in found if field_name not in d.external_fields and sg not in overridden
        ]
        shareable = [sg for sg, _, d in found if d.is_shareable(field_name)]
        if kind is TypeKind.OBJECT:
            # A subgraph resolving the field through @provides shares it too (Federation 2).
            providing = [
                sg
                for sg, _, d in found
                if field_name in d.provided_fields and field_name in d.external_fields
            ]
            _check_sharing(
                coordinate,
                resolving,
                providing,
                shareable,
                [sg for sg, _, _ in found],
                issues,
            )
        first = found[0][1]
        nodes.append(
            FieldDefinitionNode(
                name=first.name,
                description=next((n.description for _, n, _ in found if n.description), None),
                arguments=_merge_arguments(
                    [(sg, n.arguments) for sg, n, _ in found],
                    issues,
                    partial(_argument_coordinate, coordinate),
                ),
                type=first.type,
                directives=next((n.directives for _, n, _ in found if n.directives), ()),
            )
        )
        metadata[field_name] = FieldMetadata(
            type_name=type_name,
            name=field_name,
            resolvable_in=frozenset(resolving),
            shareable_in=frozenset(shareable),
            external_in=frozenset(sg for sg, _, d in found if field_name in d.external_fields),
            output_type=named_type(first.type),
            joins={
                sg: FieldJoin(
                    external=field_name in d.external_fields,
                    requires=d.requires.get(field_name),
                    provides=d.provides.get(field_name),
                    override=d.overrides.get(field_name),
                )
                for sg, _, d in found
            },
            requires={
                sg: parse_field_set(d.requires[field_name])
                for sg, _, d in found
                if field_name in d.requires
            },
            provides={
                sg: parse_field_set(d.provides[field_name])
                for sg, _, d in found
                if field_name in d.provides
            },
        )
    return tuple(nodes), metadata


def _check_sharing(
    coordinate: str,
    resolving: list[str],
    providing: list[str],
    shareable: list[str],
    defining: list[str],
    issues: list[CompositionIssue],
) -> None:
    if not resolving:
        issues.append(
            CompositionIssue(
                "EXTERNAL_MISSING_ON_BASE",
                f'Field "{coordinate}" is marked @external in all of its subgraphs '
                f"({quoted(defining)}); no subgraph resolves it",
            )
        )
    elif len(resolving) + len(providing) > 1:
        not_shareable = [sg for sg in resolving if sg not in shareable]
        if not_shareable:
            issues.append(
                CompositionIssue(
                    "INVALID_FIELD_SHARING",
                    f'Non-shareable field "{coordinate}" is resolved from several subgraphs: '
                    f"{quoted(sorted([*resolving, *providing]))}; it is not @shareable in "
                    f"{quoted(not_shareable)}",
                )
            )


def _check_same_type(
    coordinate: str,
    found: list[tuple[str, FieldDefinitionNode | InputValueDefinitionNode]],
    issues: list[CompositionIssue],
) -> None:
    spelled = {sg: print_ast(node.type) for sg, node in found}
    if len(set(spelled.values())) > 1:
        detail = ", ".join(f'{type_text} in "{sg}"' for sg, type_text in spelled.items())
        issues.append(
            CompositionIssue(
                "FIELD_TYPE_MISMATCH",
                f'Field "{coordinate}" has incompatible types across subgraphs: {detail}',
            )
        )


def _merge_arguments(
    found: list[tuple[str, Iterable[InputValueDefinitionNode] | None]],
    issues: list[CompositionIssue],
    coordinate_of: Callable[[str], str],
) -> tuple[InputValueDefinitionNode, ...]:
    """Intersect argument (or input field) lists; a required one missing somewhere is an error."""
    per_subgraph = [(sg, {a.name.value: a for a in arguments or ()}) for sg, arguments in found]
    merged: list[InputValueDefinitionNode] = []
    all_names = _unique(name for _, arguments in per_subgraph for name in arguments)
    for name in all_names:
        having = [(sg, arguments[name]) for sg, arguments in per_subgraph if name in arguments]
        argument_coordinate = coordinate_of(name)
        if len(having) == len(per_subgraph):
            _check_same_type(argument_coordinate, having, issues)  # type: ignore[arg-type]
            merged.append(_with_description(having))
        elif any(_is_required(node) for _, node in having):
            missing = [sg for sg, arguments in per_subgraph if name not in arguments]
            issues.append(
                CompositionIssue(
                    "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                    f'Argument "{argument_coordinate}" is required in '
                    f"{quoted([sg for sg, _ in having])} but missing in {quoted(missing)}",
                )
            )
    return tuple(merged)


def _merge_input_fields(
    type_name: str, definitions: list[Definition], issues: list[CompositionIssue]
) -> tuple[InputValueDefinitionNode, ...]:
    found = [(sg, d.fields.values()) for sg, d in definitions]
    merged = _merge_arguments(found, issues, lambda field: f"{type_name}.{field}")  # type: ignore[arg-type]
    if not merged:
        issues.append(
            CompositionIssue(
                "EMPTY_MERGED_INPUT_TYPE",
                f'Input type "{type_name}" has no field common to all of '
                f"{quoted([sg for sg, _ in definitions])}",
            )
        )
    return merged


def _check_keys(
    type_name: str, definitions: list[Definition], issues: list[CompositionIssue]
) -> None:
    for subgraph, definition in definitions:
        for key in definition.keys:
            missing = [f.name for f in key.selection if f.name not in definition.fields]
            if missing:
                issues.append(
                    CompositionIssue(
                        "KEY_INVALID_FIELDS",
                        f'@key(fields: "{key.fields}") on "{type_name}" in "{subgraph}" names '
                        f"undefined field(s): {', '.join(missing)}",
                    )
                )


def _with_description(
    having: list[tuple[str, InputValueDefinitionNode]],
) -> InputValueDefinitionNode:
    first = having[0][1]
    description = next((node.description for _, node in having if node.description), None)
    if description is first.description:
        return first
    return InputValueDefinitionNode(
        name=first.name,
        description=description,
        type=first.type,
        default_value=first.default_value,
        directives=first.directives,
    )


def _argument_coordinate(field_coordinate: str, argument: str) -> str:
    return f"{field_coordinate}({argument}:)"


def _is_required(node: InputValueDefinitionNode) -> bool:
    return isinstance(node.type, NonNullTypeNode) and node.default_value is None


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
