"""Plain objects completed by generated code.

An object whose selected fields are all plain (``__typename``, attributes of a scalar or
enum type, attributes holding another plain object, batched fields whose batch has already
answered with plain objects) completes to a dict the same way every time: read each
attribute, serialise it, nest. For such a plan a function is generated once, when the
operation compiles, that does exactly that in one call — no loop over field plans, no
per-field dispatch — and a list of such objects completes in one comprehension. A blast
radius completes thousands of them.

A batched field (resolvers/batching.py) is read from what its batch resolved for the object
(``found``: the run's values per batched field, per object): the list above the objects
resolved it for all of them before their completion (run.OperationRun._list_batched).

The generated function is only ever the fast way to the same answer: it raises as soon as
a value needs anything else (a null in a non-null field, a value its serialiser refuses, an
attribute that raises, a batched field nobody resolved or that failed), and the caller then
completes that object (or list) the general way, which reports what went wrong where it did.
Reading an attribute or a batched value twice changes nothing.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from resolvers.columns import ReadRows
from resolvers.executor.operation import Build, FieldPlan, Kind, NotPlain, TypePlan, not_plain
from resolvers.executor.row_builders import from_rows


def object_builder(plan: TypePlan) -> Build | None:
    """The generated completion of ``plan``'s objects, or None when a field is not plain."""
    namespace: dict[str, Any] = {
        "NotPlain": NotPlain,
        "BaseException": BaseException,
        "_not_plain": not_plain,
    }
    lines = ["def build(source, found):"]
    entries: list[str] = []
    for index, field in enumerate(plan.fields):
        if field.type is None:  # __typename
            entries.append(f"{field.key!r}: {plan.name!r}")
            continue
        value = f"v{index}"
        read = _read(field, value, index, namespace)
        converted = _converted(field, value, index, namespace)
        if read is None or converted is None:
            return None
        lines.extend(read)
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


def _read(field: FieldPlan, value: str, index: int, namespace: dict[str, Any]) -> list[str] | None:
    """The statements reading ``field``'s value into ``value``: its attribute, or what its
    batch resolved for this object (an error it resolved is not plain)."""
    attribute = field.attribute
    if attribute is not None:
        if not attribute.isidentifier() or keyword.iskeyword(attribute):
            return None
        return [f"    {value} = source.{attribute}"]
    if field.batch is None:
        return None
    namespace[f"field{index}"] = id(field)
    return [
        f"    entry = found[field{index}].get(id(source))",
        "    if entry is None or entry[0] is not source or isinstance(entry[1], BaseException):",
        "        raise NotPlain",
        f"    {value} = entry[1]",
    ]


def _converted(field: FieldPlan, value: str, index: int, namespace: dict[str, Any]) -> str | None:
    """The statement completing a non-null ``value`` of ``field`` in place; None when the
    field is not plain."""
    if field.leaf is not None:
        namespace[f"serialize{index}"] = field.leaf
        if field.plain is None:
            return f"{value} = serialize{index}({value})"
        namespace[f"plain{index}"] = field.plain
        return f"{value} = {value} if type({value}) is plain{index} else serialize{index}({value})"
    if field.object_plan is not None:
        return _nested(field.object_plan, value, f"build{index}", namespace)
    if field.batch is None or field.type is None:
        return None
    completion = _nullable(field.type)
    if completion.kind is Kind.LEAF and completion.serialize is not None:
        namespace[f"serialize{index}"] = completion.serialize
        return f"{value} = serialize{index}({value})"
    if completion.kind is Kind.OBJECT:
        return _nested(completion, value, f"build{index}", namespace)
    if completion.kind is Kind.LIST and completion.inner is not None:
        element = _nullable(completion.inner)
        if element.kind is not Kind.OBJECT or element.batches:
            return None  # its elements' own batches are resolved the general way
        nested = _nested(element, "item", f"build{index}", namespace)
        if nested is None:
            return None
        # A non-null element's null (or any other value) fails its build: not plain.
        nullable = completion.inner.kind is not Kind.NON_NULL
        item = "None if item is None else " if nullable else ""
        namespace[f"rows{index}"] = _rows_completion(element, nullable)
        return (
            f"{value} = [{item}build{index}(item, found) for item in {value}] "
            f"if type({value}) is list else rows{index}({value})"
        )
    return None


def _rows_completion(element: TypePlan, nullable: bool) -> Callable[[Any], list[Any]]:
    """A batch's list of ``element`` objects answered as rows (``ReadRows``) completed from
    them (resolvers/executor/row_builders.py); anything else is not plain."""

    def complete(value: Any) -> list[Any]:
        if type(value) is ReadRows and (built := from_rows(element, value, nullable)) is not None:
            return built
        raise NotPlain

    return complete


def _nested(plan: TypePlan, value: str, name: str, namespace: dict[str, Any]) -> str | None:
    """Completing a non-null ``value`` as an object of ``plan``, when plain."""
    if plan.build is None or not any(field.type is not None for field in plan.fields):
        return None  # only __typename: nothing would check the value is an object
    namespace[name] = plan.build
    return f"{value} = {name}({value}, found)"


def _nullable(plan: TypePlan) -> TypePlan:
    if plan.kind is Kind.NON_NULL:
        assert plan.inner is not None
        return plan.inner
    return plan
