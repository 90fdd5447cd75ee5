"""Apollo's rules for ``@cost``/``@listSize``, checked per subgraph before merging.

``@listSize`` belongs on a list field (or on a field whose ``sizedFields`` are lists), names
only arguments of that field as ``slicingArguments`` and only fields of the type it returns as
``sizedFields``; ``@cost`` does not go on interface fields (their implementations carry it).
"""

from __future__ import annotations

from collections.abc import Sequence

from graphql import FieldDefinitionNode, ListTypeNode, NonNullTypeNode, TypeNode

from router.composition.model import CompositionIssue, TypeKind
from router.composition.spelling import named_type
from router.composition.subgraph_definition import SubgraphDefinition


def check_cost_directives(
    subgraphs: Sequence[SubgraphDefinition], issues: list[CompositionIssue]
) -> None:
    """One issue per misplaced ``@cost`` or malformed ``@listSize``, coded as Apollo's."""
    for subgraph in subgraphs:
        for coordinate in sorted(subgraph.weights):
            type_name, _, field_name = coordinate.partition(".")
            owner = subgraph.types.get(type_name)
            if owner is not None and owner.kind is TypeKind.INTERFACE and field_name:
                issues.append(
                    CompositionIssue(
                        "COST_APPLIED_TO_INTERFACE_FIELD",
                        f'[{subgraph.name}] @cost cannot be applied to interface "{coordinate}"',
                    )
                )
        for coordinate, size in sorted(subgraph.list_sizes.items()):
            type_name, _, field_name = coordinate.partition(".")
            owner = subgraph.types.get(type_name)
            node = owner.fields.get(field_name) if owner is not None else None
            if not isinstance(node, FieldDefinitionNode):
                continue

            def refuse(code: str, message: str, subgraph: str = subgraph.name) -> None:
                issues.append(CompositionIssue(code, f"[{subgraph}] {message}"))

            if not size.sized_fields and not _is_list(node.type):
                refuse("LIST_SIZE_APPLIED_TO_NON_LIST", f'"{coordinate}" is not a list')
            arguments = {argument.name.value for argument in node.arguments or ()}
            for name in size.slicing_arguments:
                if name not in arguments:
                    refuse(
                        "LIST_SIZE_INVALID_SLICING_ARGUMENT",
                        f'Slicing argument "{name}" is not an argument of "{coordinate}"',
                    )
            returned = subgraph.types.get(named_type(node.type))
            for name in size.sized_fields:
                sized = returned.fields.get(name) if returned is not None else None
                if sized is None:
                    refuse(
                        "LIST_SIZE_INVALID_SIZED_FIELD",
                        f'Sized field "{name}" is not a field on type "{named_type(node.type)}"',
                    )
                elif not _is_list(sized.type):
                    refuse(
                        "LIST_SIZE_APPLIED_TO_NON_LIST",
                        f'Sized field "{named_type(node.type)}.{name}" is not a list',
                    )


def _is_list(type_node: TypeNode) -> bool:
    inner = type_node.type if isinstance(type_node, NonNullTypeNode) else type_node
    return isinstance(inner, ListTypeNode)
