"""Federation field sets (``@key``, ``@requires``, ``@provides`` ``fields:``) as trees.

``"id org { id }"`` becomes ``(KeyField("id"), KeyField("org", (KeyField("id"),)))``. Inline
fragments (``... on Book { title }``) are folded into their parent: a representation carries
whatever fields the object has, so the type condition only narrows what the subgraph reads.
"""

from __future__ import annotations

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode, parse

from router.composition.model import KeyField


def parse_field_set(text: str) -> tuple[KeyField, ...]:
    """Parse a field set; raises ``GraphQLSyntaxError`` when it is not a selection set."""
    operation = parse(f"{{{text}}}", no_location=True).definitions[0]
    return _fields(operation.selection_set)  # type: ignore[attr-defined]


def merge_field_sets(*sets: tuple[KeyField, ...]) -> tuple[KeyField, ...]:
    """The union of field sets, first occurrence order, nested selections merged."""
    merged: dict[str, tuple[KeyField, ...]] = {}
    for field_set in sets:
        for key_field in field_set:
            merged[key_field.name] = merge_field_sets(
                merged.get(key_field.name, ()), key_field.children
            )
    return tuple(KeyField(name, children) for name, children in merged.items())


def print_field_set(field_set: tuple[KeyField, ...]) -> str:
    """``id org { id }``: the compact text of a field set."""
    return " ".join(
        key_field.name
        + (f" {{ {print_field_set(key_field.children)} }}" if key_field.children else "")
        for key_field in field_set
    )


def _fields(selection_set: SelectionSetNode | None) -> tuple[KeyField, ...]:
    if selection_set is None:
        return ()
    found: list[tuple[KeyField, ...]] = []
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            found.append((KeyField(node.name.value, _fields(node.selection_set)),))
        elif isinstance(node, InlineFragmentNode):
            found.append(_fields(node.selection_set))
    return merge_field_sets(*found)
