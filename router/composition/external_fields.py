"""What an ``@external`` declaration of a field must agree on with the field's definitions.

An external declaration only says "this field exists elsewhere, with this shape": it takes
no part in merging the field's type and arguments (the resolving subgraphs decide those), but
must be compatible with the result, as Apollo's composition checks: the same type, or a
subtype when the resolving subgraphs themselves differ (``EXTERNAL_TYPE_MISMATCH``); every
merged argument, of a type the merged one is a subtype of (``EXTERNAL_ARGUMENT_MISSING``,
``EXTERNAL_ARGUMENT_TYPE_MISMATCH``), with the same default
(``EXTERNAL_ARGUMENT_DEFAULT_MISMATCH``).
"""

from __future__ import annotations

from graphql import FieldDefinitionNode, print_ast

from router.composition.model import CompositionIssue
from router.composition.spelling import quoted
from router.composition.type_references import Subtyping


def check_external_declarations(
    coordinate: str,
    merged: FieldDefinitionNode,
    types_differ: bool,
    externals: list[tuple[str, FieldDefinitionNode]],
    subtyping: Subtyping,
    issues: list[CompositionIssue],
) -> None:
    """Append an issue per way the ``externals`` (subgraph, declaration) disagree."""
    merged_type = print_ast(merged.type)
    bad_types = [
        sg
        for sg, node in externals
        if print_ast(node.type) != merged_type
        and not (types_differ and subtyping.is_strict_subtype(merged.type, node.type))
    ]
    if bad_types:
        issues.append(
            CompositionIssue(
                "EXTERNAL_TYPE_MISMATCH",
                f'Type of field "{coordinate}" is incompatible across subgraphs (where marked '
                f'@external): it has type "{merged_type}" in the supergraph but '
                + ", ".join(
                    f'type "{print_ast(node.type)}" in "{sg}"'
                    for sg, node in externals
                    if sg in bad_types
                ),
            )
        )
    for argument in merged.arguments or ():
        name = argument.name.value
        declared = {
            sg: next((a for a in node.arguments or () if a.name.value == name), None)
            for sg, node in externals
        }
        missing = [sg for sg, found in declared.items() if found is None]
        present = {sg: found for sg, found in declared.items() if found is not None}
        where = f'argument "{coordinate}({name}:)"'
        if missing:
            issues.append(
                CompositionIssue(
                    "EXTERNAL_ARGUMENT_MISSING",
                    f'Field "{coordinate}" is missing {where} in {quoted(missing)}, where it '
                    "is marked @external",
                )
            )
        if any(
            print_ast(found.type) != print_ast(argument.type)
            and not subtyping.is_strict_subtype(found.type, argument.type)
            for found in present.values()
        ):
            issues.append(
                CompositionIssue(
                    "EXTERNAL_ARGUMENT_TYPE_MISMATCH",
                    f'Type of {where} is incompatible across subgraphs (where "{coordinate}" '
                    "is marked @external)",
                )
            )
        default = _printed(argument.default_value)
        if any(_printed(found.default_value) != default for found in present.values()):
            issues.append(
                CompositionIssue(
                    "EXTERNAL_ARGUMENT_DEFAULT_MISMATCH",
                    f'Argument "{coordinate}({name}:)" has incompatible defaults across '
                    f'subgraphs (where "{coordinate}" is marked @external)',
                )
            )


def _printed(value: object) -> str | None:
    return None if value is None else print_ast(value)  # type: ignore[arg-type]
