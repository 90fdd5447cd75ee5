"""Objects completed straight from their rows: no object per row.

A list a resolver answers as :class:`resolvers.columns.ReadRows` (a batch's comments, an
entity fetch's users and teams) completes, where every field its plan selects is a plain
column, by a function generated per plan, row class and :class:`RowFields`: it reads each
selected column from the row by position, converts it as the type's reader would, and
serialises it as the object's generated completion would (resolvers/executor/builders.py),
into the response's dict — the object the reader would make, and its reading back, are
left out. A column converted to another domain's entity stub (``EntityStub.ref``) is
written as the stub's selection (``__typename``, ``id``) without the stub.

As with the object builders, a generated function is only the fast way to the same answer:
whatever else a plan selects (a field with a resolver, a batch, a list, a column the row
lacks) makes it None, and a value it cannot complete (a null in a non-null field, a value
its serialiser refuses) raises; the list is then completed from its objects, the general
way, which reports what went wrong where it did."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from resolvers.columns import ReadRows, RowFields
from resolvers.executor.operation import FieldPlan, Kind, NotPlain, TypePlan, not_plain
from resolvers.references import EntityStub

RowBuild = Callable[[Any], dict[str, Any]]

_STUB_REF = EntityStub.ref.__func__  # type: ignore[attr-defined]


def from_rows(plan: TypePlan, value: ReadRows[Any], nullable: bool) -> list[Any] | None:
    """The list's items completed from their rows as ``plan`` (an object type's, or an
    abstract type's by each row's type) selects, or None when a row cannot be (the list is
    then completed from its objects)."""
    rows = value.rows
    fields = value.fields
    try:
        if not rows:
            return []
        builds: dict[tuple[int, type], RowBuild | None] = {}
        out: list[Any] = []
        for row, read in zip(rows, fields, strict=True):
            if row is None or read is None:
                if not nullable:
                    return None
                out.append(None)
                continue
            key = (id(read), type(row))
            build = builds.get(key, _UNSEEN)
            if build is _UNSEEN:
                build = builds[key] = _build_for(plan, read, type(row))
            if build is None:
                return None
            out.append(build(row))
        return out
    except Exception:  # not plain after all: completed from the objects
        return None


_UNSEEN: Any = object()


def _build_for(plan: TypePlan, read: RowFields[Any], row_type: type) -> RowBuild | None:
    """The generated completion of ``read``'s rows of ``row_type`` as ``plan`` selects,
    kept on the object type's plan."""
    target = plan if plan.kind is Kind.OBJECT else plan.possible.get(read.type_name)
    if target is None or target.kind is not Kind.OBJECT or target.name != read.type_name:
        return None
    key = (id(read), row_type)
    found = target.row_builds.get(key, _UNSEEN)
    if found is _UNSEEN:
        found = target.row_builds[key] = row_builder(target, read, row_type)
    return found  # type: ignore[no-any-return]


def row_builder(plan: TypePlan, read: RowFields[Any], row_type: type) -> RowBuild | None:
    """The function completing a row of ``row_type`` (a named tuple) as ``plan`` selects, or
    None when a selected field is not a plain column of it."""
    columns = getattr(row_type, "_fields", None)
    if not isinstance(columns, tuple):
        return None
    namespace: dict[str, Any] = {"NotPlain": NotPlain, "not_plain": not_plain}
    lines = ["def build(row):"]
    entries: list[str] = []
    for index, field in enumerate(plan.fields):
        if field.type is None:  # __typename
            entries.append(f"{field.key!r}: {plan.name!r}")
            continue
        source = read.attributes.get(field.attribute) if field.attribute else None
        if source is None or source[0] not in columns:
            return None
        column, convert = source
        value = f"v{index}"
        cell = f"row[{columns.index(column)}]"
        converted = _converted(field, value, convert, index, namespace)
        if converted is None:
            return None
        if field.object_plan is None and convert is not None:
            namespace[f"convert{index}"] = convert
            cell = f"convert{index}({cell})"
        lines.append(f"    {value} = {cell}")
        if field.non_null:
            lines += [f"    if {value} is None:", "        raise NotPlain", f"    {converted}"]
        else:
            lines += [f"    if {value} is not None:", f"        {converted}"]
        entries.append(f"{field.key!r}: {value}")
    lines.append("    return {" + ", ".join(entries) + "}")
    exec("\n".join(lines), namespace)  # our own source: keys repr()ed, positions ints
    return namespace["build"]  # type: ignore[no-any-return]


def _converted(
    field: FieldPlan, value: str, convert: Any, index: int, namespace: dict[str, Any]
) -> str | None:
    """The statement completing a non-null ``value`` of ``field`` in place (read and, for a
    leaf, converted already); None when the field is not a plain column."""
    if field.leaf is not None:
        namespace[f"serialize{index}"] = field.leaf
        if field.plain is None:
            return f"{value} = serialize{index}({value})"
        namespace[f"plain{index}"] = field.plain
        return f"{value} = {value} if type({value}) is plain{index} else serialize{index}({value})"
    if field.object_plan is not None:
        return _stub(field.object_plan, value, convert, field.non_null)
    return None


def _stub(plan: TypePlan, value: str, convert: Any, non_null: bool) -> str | None:
    """A stub's selection written from its id (``value``, the column's): what
    ``EntityStub.ref`` of a true id makes and its completion reads back (``ref`` makes none
    of a false one: null, not plain in a ``non_null`` field). None for any other conversion
    or selection."""
    owner = getattr(convert, "__self__", None)
    if getattr(convert, "__func__", None) is not _STUB_REF or not isinstance(owner, type):
        return None
    if owner.__strawberry_definition__.name != plan.name:  # type: ignore[attr-defined]
        return None
    entries: list[str] = []
    for field in plan.fields:
        if field.type is None:
            entries.append(f"{field.key!r}: {plan.name!r}")
        elif field.attribute == "id" and field.plain is str:
            entries.append(f"{field.key!r}: str({value})")
        else:
            return None
    if len(entries) == sum(1 for field in plan.fields if field.type is None):
        return None  # only __typename: nothing would check the value is a stub's id
    otherwise = "not_plain()" if non_null else "None"
    return f"{value} = {{{', '.join(entries)}}} if {value} else {otherwise}"
