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
    inaccessible: frozenset[str] = frozenset(),
) -> list[TypeDefinitionNode]:
    """``nodes`` with every enum's values chosen by how the merged schema uses the enum.

    Enum nodes arrive with the union of values (first-seen order), which is kept for output
    enums and filtered for input and input/output enums. An ``@inaccessible`` value is always
    kept: clients can neither send nor receive it, so no subgraph can be surprised by it.
    """
    inputs, outputs = _usages(nodes)
    merged: list[TypeDefinitionNode] = []
    for node in nodes:
        if isinstance(node, EnumTypeDefinitionNode):
            node = _merge_enum(
                node, metadata[node.name.value], inputs, outputs, inaccessible, issues
            )
        merged.append(node)
    return merged


def _merge_enum(
    node: EnumTypeDefinitionNode,
    meta: TypeMetadata,
    inputs: set[str],
    outputs: set[str],
    inaccessible: frozenset[str],
    issues: list[CompositionIssue],
) -> EnumTypeDefinitionNode:
    name = node.name.value
    per_subgraph = meta.enum_values
    if name not in inputs:
        return node
    kept = []
    for value in node.values or ():
        value_name = value.name.value
        missing = sorted(sg for sg, values in per_subgraph.items() if value_name not in values)
        if not missing or f"{name}.{value_name}" in inaccessible:
            kept.append(value)
        elif name in outputs:
            defining = sorted(sg for sg in per_subgraph if sg not in missing)
            issues.append(
                CompositionIssue(
                    "ENUM_VALUE_MISMATCH",
                    f'Enum type "{name}" is used as both input type and output type, but '
                    f'value "{value_name}" is not defined in all the subgraphs defining '
                    f'"{name}": it is defined in {quoted(defining)} but not in {quoted(missing)}',
                )
            )
    if not kept:
        issues.append(
            CompositionIssue(
                "EMPTY_MERGED_ENUM_TYPE",
                f'None of the values of enum type "{name}" are defined consistently in all the '
                f"subgraphs defining that type ({quoted(sorted(per_subgraph))})",
            )
        )
        return node
    return EnumTypeDefinitionNode(
        name=node.name,
        description=node.description,
        directives=node.directives,
        values=tuple(kept),
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
