"""Merging arguments and input fields across subgraphs: intersected, types agreeing.

An argument (or input field) missing in some subgraph is dropped from the merged definition,
unless it is required somewhere, which is an error; the first description found is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from graphql import FieldDefinitionNode, InputValueDefinitionNode, NonNullTypeNode, print_ast

from router.composition.model import CompositionIssue
from router.composition.spelling import quoted
from router.composition.subgraph_definition import Definition


def check_same_type(
    coordinate: str,
    found: list[tuple[str, FieldDefinitionNode | InputValueDefinitionNode]],
    issues: list[CompositionIssue],
) -> None:
    """Append an issue when the subgraphs in ``found`` spell the element's type differently."""
    spelled = {sg: print_ast(node.type) for sg, node in found}
    if len(set(spelled.values())) > 1:
        detail = ", ".join(f'{type_text} in "{sg}"' for sg, type_text in spelled.items())
        issues.append(
            CompositionIssue(
                "FIELD_TYPE_MISMATCH",
                f'Field "{coordinate}" has incompatible types across subgraphs: {detail}',
            )
        )


def merge_arguments(
    found: list[tuple[str, Iterable[InputValueDefinitionNode] | None]],
    issues: list[CompositionIssue],
    coordinate_of: Callable[[str], str],
) -> tuple[InputValueDefinitionNode, ...]:
    """Intersect argument (or input field) lists; a required one missing somewhere is an error."""
    per_subgraph = [(sg, {a.name.value: a for a in arguments or ()}) for sg, arguments in found]
    merged: list[InputValueDefinitionNode] = []
    all_names = list(dict.fromkeys(name for _, arguments in per_subgraph for name in arguments))
    for name in all_names:
        having = [(sg, arguments[name]) for sg, arguments in per_subgraph if name in arguments]
        argument_coordinate = coordinate_of(name)
        if len(having) == len(per_subgraph):
            check_same_type(argument_coordinate, having, issues)  # type: ignore[arg-type]
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


def merge_input_fields(
    type_name: str, definitions: list[Definition], issues: list[CompositionIssue]
) -> tuple[InputValueDefinitionNode, ...]:
    """An input type's merged fields; none in common is an error."""
    found = [(sg, d.fields.values()) for sg, d in definitions]
    merged = merge_arguments(found, issues, lambda field: f"{type_name}.{field}")  # type: ignore[arg-type]
    if not merged:
        issues.append(
            CompositionIssue(
                "EMPTY_MERGED_INPUT_TYPE",
                f'Input type "{type_name}" has no field common to all of '
                f"{quoted([sg for sg, _ in definitions])}",
            )
        )
    return merged


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


def coordinate_of_argument(field_coordinate: str, argument: str) -> str:
    """``Type.field(argument:)``."""
    return f"{field_coordinate}({argument}:)"


def _is_required(node: InputValueDefinitionNode) -> bool:
    return isinstance(node.type, NonNullTypeNode) and node.default_value is None
