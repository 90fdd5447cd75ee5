"""Enums merged by usage, as Federation 2 does.

An enum only ever returned (output positions) takes the union of the subgraphs' values: a
client must be ready for any of them. An enum only ever accepted (arguments, input fields)
takes the intersection: the router must not accept a value some subgraph would reject. An
enum used both ways must be defined identically everywhere (``ENUM_VALUE_MISMATCH``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from graphql import (
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    TypeDefinitionNode,
)

from router.composition.model import CompositionIssue, TypeMetadata
from router.composition.spelling import named_type, quoted


def merge_enums(
    nodes: list[TypeDefinitionNode],
    metadata: Mapping[str, TypeMetadata],
    issues: list[CompositionIssue],
) -> list[TypeDefinitionNode]:
    """``nodes`` with every enum's values chosen by how the merged schema uses the enum.

    Enum nodes arrive with the union of values (first-seen order), which is kept for output
    enums and filtered for input and input/output enums.
    """
    inputs, outputs = _usages(nodes)
    merged: list[TypeDefinitionNode] = []
    for node in nodes:
        if isinstance(node, EnumTypeDefinitionNode):
            node = _merge_enum(node, metadata[node.name.value], inputs, outputs, issues)
        merged.append(node)
    return merged


def _merge_enum(
    node: EnumTypeDefinitionNode,
    meta: TypeMetadata,
    inputs: set[str],
    outputs: set[str],
    issues: list[CompositionIssue],
) -> EnumTypeDefinitionNode:
    name = node.name.value
    per_subgraph = meta.enum_values
    if name not in inputs:
        return node
    common = frozenset.intersection(*per_subgraph.values())
    if name in outputs:
        differing = sorted(sg for sg, values in per_subgraph.items() if values != common)
        if differing:
            issues.append(
                CompositionIssue(
                    "ENUM_VALUE_MISMATCH",
                    f'Enum "{name}" is used as both input and output type, so its values must '
                    f"be the same in every subgraph; they differ in "
                    f"{quoted(differing)}",
                )
            )
        return node
    if not common:
        issues.append(
            CompositionIssue(
                "EMPTY_MERGED_ENUM_TYPE",
                f'Enum "{name}" is used only as an input type and has no value common to '
                f"{quoted(sorted(per_subgraph))}",
            )
        )
        return node
    return EnumTypeDefinitionNode(
        name=node.name,
        description=node.description,
        directives=node.directives,
        values=tuple(value for value in node.values or () if value.name.value in common),
    )


def _usages(nodes: Iterable[TypeDefinitionNode]) -> tuple[set[str], set[str]]:
    """Named types used in input positions and in output positions."""
    inputs: set[str] = set()
    outputs: set[str] = set()
    for node in nodes:
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            for field in node.fields or ():
                assert isinstance(field, FieldDefinitionNode)
                outputs.add(named_type(field.type))
                inputs.update(named_type(argument.type) for argument in field.arguments or ())
        elif isinstance(node, InputObjectTypeDefinitionNode):
            for input_field in node.fields or ():
                assert isinstance(input_field, InputValueDefinitionNode)
                inputs.add(named_type(input_field.type))
    return inputs, outputs
