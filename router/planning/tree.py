"""Turn normalised selections back into AST selection nodes (used for introspection)."""

from __future__ import annotations

from graphql import FieldNode, NameNode, SelectionNode, SelectionSetNode

from router.planning.fetch_group import inline_fragment
from router.planning.operation import Field, Selection


def selection_nodes(selections: tuple[Selection, ...]) -> list[SelectionNode]:
    """The AST form of ``selections``; fragments become inline fragments."""
    nodes: list[SelectionNode] = []
    for selection in selections:
        if isinstance(selection, Field):
            children = selection_nodes(selection.selections) if selection.selections else None
            nodes.append(
                FieldNode(
                    alias=NameNode(value=selection.alias) if selection.alias else None,
                    name=NameNode(value=selection.name),
                    arguments=selection.arguments,
                    directives=selection.directives,
                    selection_set=SelectionSetNode(selections=tuple(children))
                    if children is not None
                    else None,
                )
            )
        else:
            nodes.append(
                inline_fragment(
                    selection.type_condition,
                    selection.directives,
                    selection_nodes(selection.selections),
                )
            )
    return nodes
