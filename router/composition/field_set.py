"""Federation field sets (``@key``, ``@requires``, ``@provides`` ``fields:``) as trees.

``"id org { id }"`` becomes ``(KeyField("id"), KeyField("org", (KeyField("id"),)))``. A field
with arguments keeps them as written (``price(currency: "EUR")``), and a field selected in an
inline fragment on an abstract type keeps its type condition (``... on Car { size }`` gives
``KeyField("size", on="Car")``): the router sends the same selection to the subgraph, where
a folded one could be invalid, and a representation carries the field only for objects of
that type.
"""

from __future__ import annotations

import hashlib

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode, parse, print_ast

from router.composition.model import KeyField


def parse_field_set(text: str) -> tuple[KeyField, ...]:
    """Parse a field set; raises ``GraphQLSyntaxError`` when it is not a selection set."""
    operation = parse(f"{{{text}}}", no_location=True).definitions[0]
    return _fields(operation.selection_set, None)  # type: ignore[attr-defined]


def response_key(key_field: KeyField) -> str:
    """The response key a fetch selects the field under: its name, or for a field with
    arguments an alias naming those arguments (``price__1a2b3c4d``), so that it never
    clashes with the client's own selection of the field with other arguments."""
    if not key_field.arguments:
        return key_field.name
    digest = hashlib.sha256(key_field.arguments.encode()).hexdigest()[:8]
    return f"{key_field.name}__{digest}"


def merge_field_sets(*sets: tuple[KeyField, ...]) -> tuple[KeyField, ...]:
    """The union of field sets, first occurrence order, nested selections merged."""
    merged: dict[tuple[str, str, str | None], tuple[KeyField, ...]] = {}
    for field_set in sets:
        for key_field in field_set:
            identity = (key_field.name, key_field.arguments, key_field.on)
            merged[identity] = merge_field_sets(merged.get(identity, ()), key_field.children)
    return tuple(
        KeyField(name, children, arguments, on)
        for (name, arguments, on), children in merged.items()
    )


def print_field_set(field_set: tuple[KeyField, ...]) -> str:
    """``id org { id } ... on Car { size }``: the compact text of a field set."""
    plain = [_print_field(key_field) for key_field in field_set if key_field.on is None]
    conditions = list(dict.fromkeys(f.on for f in field_set if f.on is not None))
    for condition in conditions:
        inner = " ".join(_print_field(f) for f in field_set if f.on == condition)
        plain.append(f"... on {condition} {{ {inner} }}")
    return " ".join(plain)


def _print_field(key_field: KeyField) -> str:
    children = key_field.children
    return (
        key_field.name
        + key_field.arguments
        + (f" {{ {print_field_set(children)} }}" if children else "")
    )


def _fields(selection_set: SelectionSetNode | None, on: str | None) -> tuple[KeyField, ...]:
    if selection_set is None:
        return ()
    found: list[tuple[KeyField, ...]] = []
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            arguments = ""
            if node.arguments:
                arguments = "(" + ", ".join(print_ast(a) for a in node.arguments) + ")"
            children = _fields(node.selection_set, None)
            found.append((KeyField(node.name.value, children, arguments, on),))
        elif isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else on
            found.append(_fields(node.selection_set, condition))
    return merge_field_sets(*found)
