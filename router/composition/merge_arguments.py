"""Merging arguments and input fields across subgraphs: intersected, types merged for input.

An argument (or input field) missing in some subgraph is dropped from the merged definition,
unless it is required somewhere, which is an error (``REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH``
/ ``REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH``): the router could not send it to a
subgraph that does not know it. A kept one takes the most specific of its types (see
:mod:`router.composition.type_references`), a default value only when every subgraph gives
the same one (two different defaults are an error), and the most used description.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from graphql import InputValueDefinitionNode, NonNullTypeNode, print_ast

from router.composition.descriptions import merge_description
from router.composition.model import CompositionIssue
from router.composition.spelling import quoted
from router.composition.subgraph_definition import Definition
from router.composition.type_references import Subtyping, merge_type_reference


def merge_arguments(
    found: list[tuple[str, Iterable[InputValueDefinitionNode] | None]],
    issues: list[CompositionIssue],
    coordinate_of: Callable[[str], str],
    subtyping: Subtyping,
    *,
    input_fields: bool = False,
    kept: frozenset[str] = frozenset(),
) -> tuple[InputValueDefinitionNode, ...]:
    """Intersect argument (or input field) lists; a required one missing somewhere is an error.

    Coordinates in ``kept`` (``@inaccessible`` input fields) stay even where some subgraph
    lacks them: the API never shows them, so the router never sends them.
    """
    per_subgraph = [(sg, {a.name.value: a for a in arguments or ()}) for sg, arguments in found]
    merged: list[InputValueDefinitionNode] = []
    all_names = list(dict.fromkeys(name for _, arguments in per_subgraph for name in arguments))
    for name in all_names:
        having = [(sg, arguments[name]) for sg, arguments in per_subgraph if name in arguments]
        coordinate = coordinate_of(name)
        if len(having) == len(per_subgraph) or coordinate in kept:
            merged.append(_merge_one(coordinate, having, issues, subtyping, input_fields))
        elif any(_is_required(node) for _, node in having):
            missing = [sg for sg, arguments in per_subgraph if name not in arguments]
            required_in = quoted(sg for sg, node in having if _is_required(node))
            if input_fields:
                code = "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH"
                what = f'Input object field "{coordinate}"'
            else:
                code = "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH"
                what = f'Argument "{coordinate}"'
            issues.append(
                CompositionIssue(
                    code,
                    f"{what} is required in some subgraphs but does not appear in all "
                    f"subgraphs: it is required in {required_in} but does not appear in "
                    f"{quoted(missing)}",
                )
            )
    return tuple(merged)


def merge_input_fields(
    type_name: str,
    definitions: list[Definition],
    issues: list[CompositionIssue],
    subtyping: Subtyping,
    inaccessible: frozenset[str] = frozenset(),
) -> tuple[InputValueDefinitionNode, ...]:
    """An input type's merged fields; none in common is an error."""
    found = [(sg, d.fields.values()) for sg, d in definitions]
    merged = merge_arguments(
        found,  # type: ignore[arg-type]
        issues,
        lambda field: f"{type_name}.{field}",
        subtyping,
        input_fields=True,
        kept=inaccessible,
    )
    if not merged:
        issues.append(
            CompositionIssue(
                "EMPTY_MERGED_INPUT_TYPE",
                f'None of the fields of input object type "{type_name}" are consistently '
                f"defined in all the subgraphs defining that type "
                f"({quoted([sg for sg, _ in definitions])})",
            )
        )
    return merged


def _merge_one(
    coordinate: str,
    having: list[tuple[str, InputValueDefinitionNode]],
    issues: list[CompositionIssue],
    subtyping: Subtyping,
    input_field: bool,
) -> InputValueDefinitionNode:
    type_node, issue = merge_type_reference(
        coordinate,
        [(sg, node.type) for sg, node in having],
        subtyping,
        input_position=True,
        argument=not input_field,
    )
    if issue is not None:
        issues.append(issue)
    defaults = {sg: print_ast(n.default_value) for sg, n in having if n.default_value is not None}
    default_value = None
    if len(set(defaults.values())) > 1:
        detail = ", ".join(
            f'default value {defaults[sg]} in "{sg}"' if sg in defaults else f'no default in "{sg}"'
            for sg, _ in having
        )
        kind = "Input field" if input_field else "Argument"
        issues.append(
            CompositionIssue(
                "INPUT_FIELD_DEFAULT_MISMATCH"
                if input_field
                else "FIELD_ARGUMENT_DEFAULT_MISMATCH",
                f'{kind} "{coordinate}" has incompatible default values across subgraphs: '
                f"it has {detail}",
            )
        )
    elif len(defaults) == len(having):
        # Only a default every subgraph applies: the router never sends what it omits.
        default_value = having[0][1].default_value
    first = having[0][1]
    return InputValueDefinitionNode(
        name=first.name,
        description=merge_description(node.description for _, node in having),
        type=type_node,
        default_value=default_value,
        directives=next((node.directives for _, node in having if node.directives), ()),
    )


def coordinate_of_argument(field_coordinate: str, argument: str) -> str:
    """``Type.field(argument:)``."""
    return f"{field_coordinate}({argument}:)"


def _is_required(node: InputValueDefinitionNode) -> bool:
    return isinstance(node.type, NonNullTypeNode) and node.default_value is None
