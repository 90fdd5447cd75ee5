"""Compact one-line GraphQL printing for subgraph operations and readable plans.

graphql-core's ``print_ast`` is multi-line; subgraph operations are sent per request, so a
compact form saves bytes on the wire and reads well inside ``format_plan``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    EnumValueNode,
    FieldNode,
    FloatValueNode,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    SelectionNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    print_ast,
)
from graphql.language.print_string import print_string


def print_selection_set(selections: Iterable[SelectionNode]) -> str:
    """``{ a b { c } }`` for a list of selection nodes."""
    return "{ " + " ".join(print_selection(node) for node in selections) + " }"


def print_selection(node: SelectionNode) -> str:
    """One field or inline fragment on a single line."""
    directives = "".join(" " + print_directive(d) for d in node.directives or ())
    if isinstance(node, FieldNode):
        head = (f"{node.alias.value}: " if node.alias else "") + node.name.value
        head += print_arguments(node.arguments or ()) + directives
    else:
        assert isinstance(node, InlineFragmentNode)
        condition = f" on {node.type_condition.name.value}" if node.type_condition else ""
        head = "..." + condition + directives
    if node.selection_set is None:
        return head
    return head + " " + print_selection_set(node.selection_set.selections)


def print_directive(node: DirectiveNode) -> str:
    """``@name(arg: value)``."""
    return "@" + node.name.value + print_arguments(node.arguments or ())


def print_arguments(arguments: Iterable[ArgumentNode]) -> str:
    """``(a: 1, b: $v)`` or the empty string."""
    printed = [f"{a.name.value}: {print_value(a.value)}" for a in arguments]
    return f"({', '.join(printed)})" if printed else ""


def print_value(node: ValueNode) -> str:
    """A literal or variable on one line (block strings are re-quoted)."""
    if isinstance(node, VariableNode):
        return "$" + node.name.value
    if isinstance(node, StringValueNode):
        return print_string(node.value)
    if isinstance(node, IntValueNode | FloatValueNode | EnumValueNode):
        return node.value
    if isinstance(node, BooleanValueNode):
        return "true" if node.value else "false"
    if isinstance(node, NullValueNode):
        return "null"
    if isinstance(node, ListValueNode):
        return "[" + ", ".join(print_value(v) for v in node.values) + "]"
    assert isinstance(node, ObjectValueNode)
    return "{" + ", ".join(f"{f.name.value}: {print_value(f.value)}" for f in node.fields) + "}"


def print_variable_definitions(definitions: Iterable[VariableDefinitionNode]) -> str:
    """``($a: Int = 1, $b: String!)`` or the empty string."""
    printed = [
        f"${d.variable.name.value}: {print_ast(d.type)}"
        + (f" = {print_value(d.default_value)}" if d.default_value is not None else "")
        for d in definitions
    ]
    return f"({', '.join(printed)})" if printed else ""


def variables_used(selections: Iterable[SelectionNode]) -> Iterator[str]:
    """Names of the variables referenced by arguments and directives, in document order."""
    for node in selections:
        for directive in node.directives or ():
            yield from _variables_in_arguments(directive.arguments or ())
        if isinstance(node, FieldNode):
            yield from _variables_in_arguments(node.arguments or ())
        if isinstance(node, FieldNode | InlineFragmentNode) and node.selection_set is not None:
            yield from variables_used(node.selection_set.selections)


def _variables_in_arguments(arguments: Iterable[ArgumentNode]) -> Iterator[str]:
    for argument in arguments:
        yield from variables_in_value(argument.value)


def variables_in_value(node: ValueNode) -> Iterator[str]:
    """The variables a value names, at any depth of its lists and objects."""
    if isinstance(node, VariableNode):
        yield node.name.value
    elif isinstance(node, ListValueNode):
        for value in node.values:
            yield from variables_in_value(value)
    elif isinstance(node, ObjectValueNode):
        for field in node.fields:
            yield from variables_in_value(field.value)
