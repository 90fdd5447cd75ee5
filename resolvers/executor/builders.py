"""Plain objects completed by generated code.

An object whose selected fields are all plain (``__typename``, attributes of a scalar or
enum type, attributes holding another plain object) completes to a dict the same way
every time: read each attribute, serialise it, nest. For such a plan a function is
generated once, when the operation compiles, that does exactly that in one call —
no loop over field plans, no per-field dispatch — and a list of such objects completes in
one comprehension. A blast radius completes thousands of them.

The generated function is only ever the fast way to the same answer: it raises as soon as
a value needs anything else (a null in a non-null field, a value its serialiser refuses, an
attribute that raises), and the caller then completes that object (or list) the general
way, which reports what went wrong where it did. Reading an attribute twice changes nothing.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from resolvers.executor.operation import FieldPlan, TypePlan

Build = Callable[[Any], dict[str, Any]]


class NotPlain(Exception):
    """A value the generated code leaves to the general completion."""


def object_builder(plan: TypePlan) -> Build | None:
    """The generated completion of ``plan``'s objects, or None when a field is not plain."""
    namespace: dict[str, Any] = {"NotPlain": NotPlain}
    lines = ["def build(source):"]
    entries: list[str] = []
    for index, field in enumerate(plan.fields):
        if field.type is None:  # __typename
            entries.append(f"{field.key!r}: {plan.name!r}")
            continue
        attribute = field.attribute
        if attribute is None or not attribute.isidentifier() or keyword.iskeyword(attribute):
            return None
        value = f"v{index}"
        lines.append(f"    {value} = source.{attribute}")
        converted = _converted(field, value, index, namespace)
        if converted is None:
            return None
        if field.non_null:
            lines.append(f"    if {value} is None:")
            lines.append("        raise NotPlain")
            lines.append(f"    {converted}")
        else:
            lines.append(f"    if {value} is not None:")
            lines.append(f"        {converted}")
        entries.append(f"{field.key!r}: {value}")
    lines.append("    return {" + ", ".join(entries) + "}")
    exec("\n".join(lines), namespace)  # our own source: names checked, keys repr()ed
    return namespace["build"]  # type: ignore[no-any-return]


def _converted(field: FieldPlan, value: str, index: int, namespace: dict[str, Any]) -> str | None:
    """The statement completing a non-null ``value`` of ``field`` in place; None when the
    field is not plain."""
    if field.leaf is not None:
        namespace[f"serialize{index}"] = field.leaf
        if field.plain is None:
            return f"{value} = serialize{index}({value})"
        namespace[f"plain{index}"] = field.plain
        return f"{value} = {value} if type({value}) is plain{index} else serialize{index}({value})"
    nested = field.object_plan.build if field.object_plan is not None else None
    if nested is None:
        return None
    namespace[f"build{index}"] = nested
    return f"{value} = build{index}({value})"
