"""Merge the normalised subgraph types into API type definitions plus ownership metadata.

Federation 2 rules: object and interface types take the union of their fields (a field
resolved by several subgraphs must be shareable there, ``@override(from:)`` takes a field
away from its source), field types merge by subtyping (see
:mod:`router.composition.type_references`), arguments and input types are intersected, union
members are united, enums are merged by usage (see :mod:`router.composition.enums`) and the
most used description is kept. ``@inaccessible`` elements stay in the merged definitions; the
API schema is filtered from them later.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import (
    EnumTypeDefinitionNode,
    EnumValueDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    NamedTypeNode,
    NameNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
)

from router.composition.descriptions import merge_description
from router.composition.enums import merge_enums
from router.composition.merge_arguments import merge_input_fields
from router.composition.merge_fields import merge_output_fields
from router.composition.model import (
    CompositionIssue,
    TypeKind,
    TypeMetadata,
)
from router.composition.subgraph_definition import Definition, SubgraphDefinition
from router.composition.type_references import Subtyping


def merge_types(
    subgraphs: Iterable[SubgraphDefinition],
    issues: list[CompositionIssue],
    inaccessible: frozenset[str] = frozenset(),
) -> tuple[list[TypeDefinitionNode], dict[str, TypeMetadata]]:
    """Merge every named type across ``subgraphs`` (already sorted by subgraph name).

    ``inaccessible`` coordinates are kept even where intersecting would drop them (input
    fields, input enum values): they stay in the supergraph, hidden from the API.
    """
    by_name: dict[str, list[Definition]] = {}
    for subgraph in subgraphs:
        for subgraph_type in subgraph.types.values():
            by_name.setdefault(subgraph_type.name, []).append((subgraph.name, subgraph_type))
    possible = _possible_types(by_name)
    subtyping = _subtyping(by_name)
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
        node, meta = _merge_type(
            name, kinds.pop(), definitions, possible.get(name, {}), subtyping, inaccessible, issues
        )
        nodes.append(node)
        metadata[name] = meta
    return merge_enums(nodes, metadata, issues, inaccessible), metadata


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


def _subtyping(by_name: dict[str, list[Definition]]) -> Subtyping:
    """Union members and implemented interfaces over every subgraph: the merged relations."""
    kinds: dict[str, TypeKind] = {}
    members: dict[str, frozenset[str]] = {}
    implements: dict[str, frozenset[str]] = {}
    for name, definitions in by_name.items():
        kinds[name] = definitions[0][1].kind
        members[name] = frozenset(m for _, d in definitions for m in d.members)
        implements[name] = frozenset(i for _, d in definitions for i in d.interfaces)
    return Subtyping(kinds=kinds, members=members, implements=implements)


def _merge_type(
    name: str,
    kind: TypeKind,
    definitions: list[Definition],
    possible: dict[str, frozenset[str]],
    subtyping: Subtyping,
    inaccessible: frozenset[str],
    issues: list[CompositionIssue],
) -> tuple[TypeDefinitionNode, TypeMetadata]:
    defined_in = frozenset(subgraph for subgraph, _ in definitions)
    description = merge_description(d.description for _, d in definitions)
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
        fields, field_meta = merge_output_fields(name, kind, definitions, issues, subtyping)
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
            fields=merge_input_fields(name, definitions, issues, subtyping, inaccessible),
        )
    elif kind is TypeKind.ENUM:
        node = EnumTypeDefinitionNode(
            name=name_node,
            description=description,
            directives=directives,
            values=_merge_enum_values(definitions),
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


def _merge_enum_values(definitions: list[Definition]) -> tuple[EnumValueDefinitionNode, ...]:
    """Every value any subgraph defines (first-seen order), with its merged description."""
    found: dict[str, list[EnumValueDefinitionNode]] = {}
    for _, definition in definitions:
        for value_name, value in definition.enum_values.items():
            found.setdefault(value_name, []).append(value)
    return tuple(
        EnumValueDefinitionNode(
            name=values[0].name,
            description=merge_description(value.description for value in values),
            directives=next((v.directives for v in values if v.directives), ()),
        )
        for values in found.values()
    )


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


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
