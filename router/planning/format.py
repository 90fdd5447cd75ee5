"""Readable text form of a query plan, in the style of Apollo's query plans."""

from __future__ import annotations

from router.composition.field_set import print_field_set
from router.planning.nodes import (
    FetchNode,
    FlattenNode,
    IntrospectionNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    RequiredEntity,
    SequenceNode,
)

_INDENT = "  "


def format_plan(plan: QueryPlan) -> str:
    """``QueryPlan { ... }`` with one node per line group, children indented two spaces."""
    lines = ["QueryPlan {"]
    if plan.node is not None:
        _format(plan.node, 1, lines)
    lines.append("}")
    return "\n".join(lines)


def _format(node: PlanNode, depth: int, lines: list[str]) -> None:
    pad = _INDENT * depth
    if isinstance(node, FetchNode):
        lines.append(f"{pad}{_fetch(node)},")
    elif isinstance(node, IntrospectionNode):
        lines.append(f"{pad}Introspection {{ {node.selection} }},")
    elif isinstance(node, FlattenNode):
        if len(node.paths) == 1:
            lines.append(f'{pad}Flatten(path: "{".".join(node.paths[0])}") {{')
        else:
            paths = ", ".join(f'"{".".join(path)}"' for path in node.paths)
            lines.append(f"{pad}Flatten(paths: [{paths}]) {{")
        _format(node.node, depth + 1, lines)
        lines.append(f"{pad}}},")
    else:
        lines.append(f"{pad}{'Sequence' if isinstance(node, SequenceNode) else 'Parallel'} {{")
        assert isinstance(node, SequenceNode | ParallelNode)
        for child in node.nodes:
            _format(child, depth + 1, lines)
        lines.append(f"{pad}}},")


def _fetch(node: FetchNode) -> str:
    head = f'Fetch(service: "{node.subgraph}")'
    if node.requires is None:
        return f"{head} {{ {node.selection} }}"
    return f"{head} {{ {_requires(node.requires)} => {node.selection} }}"


def _requires(requires: tuple[RequiredEntity, ...]) -> str:
    parts = [
        f"... on {entity.type_name} {{ __typename {print_field_set(entity.key)}"
        + (f" {print_field_set(entity.required)}" if entity.required else "")
        + " }"
        for entity in requires
    ]
    return "{ " + " ".join(parts) + " }"
