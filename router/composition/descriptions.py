"""The description an element keeps when subgraphs describe it differently.

As Apollo's composition does: the only description given, else the only non-empty one, else
the one most subgraphs use (the first of those on a tie).
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import StringValueNode


def merge_description(found: Iterable[StringValueNode | None]) -> StringValueNode | None:
    """The merged description of one element, from each defining subgraph's description."""
    nodes: dict[str, StringValueNode] = {}
    counts: dict[str, int] = {}
    for node in found:
        if node is None:
            continue
        nodes.setdefault(node.value, node)
        counts[node.value] = counts.get(node.value, 0) + 1
    if not nodes:
        return None
    non_empty = [text for text in nodes if text]
    if len(nodes) > 1 and len(non_empty) == 1:
        return nodes[non_empty[0]]
    best = max(nodes, key=lambda text: counts[text] if text else -1)
    return nodes[best]
