"""Plain objects, and rows, completed by generated code.

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

**Rows.** A list a resolver answers as :class:`resolvers.columns.ReadRows` (a batch's
comments, an entity fetch's users and teams, a page's edges) completes, where every field
its plan selects is a plain column, a stub, a node read from the same row or a batched
field its batch answered for the row, by a function generated per plan, row class and
:class:`RowFields` (:func:`from_rows`): it reads each selected column from the row by
position, converts it as the type's reader would and serialises it as the object's
completion would, into the response's dict — the object the reader would make, and its
reading back, are left out. A column converted to another domain's entity stub
(``EntityStub.ref``) is written as the stub's selection (``__typename``, ``id``) without
the stub. Whatever else a plan selects makes its function None, and a value it cannot
complete raises, as above: the list is then completed from its objects.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from resolvers.columns import WHOLE_ROW, ReadRows, RowFields, column_cell
from resolvers.executor.operation import (
    Build,
    FieldPlan,
    Found,
    Kind,
    NotPlain,
    TypePlan,
    not_plain,
)
from resolvers.references import EntityStub

# How one field of a generated completion is read and completed: (field, the variable its
# value goes to, its index, the namespace) -> (the statements reading it, the statement
# completing a non-null value in place), None for either when the field is not plain.
FieldCode = Callable[[FieldPlan, str, int, dict[str, Any]], tuple[list[str] | None, str | None]]


def object_builder(plan: TypePlan) -> Build | None:
    """The generated completion of ``plan``'s objects, or None when a field is not plain."""
    return _generated(plan, _object_field)  # type: ignore[no-any-return]


def _object_field(
    field: FieldPlan, value: str, index: int, namespace: dict[str, Any]
) -> tuple[list[str] | None, str | None]:
    """An object's field: its attribute, or what its batch resolved for the object."""
    return _read(field, value, index, namespace), _converted(field, value, index, namespace)


def _generated(plan: TypePlan, field_code: FieldCode) -> Any:
    """``build(source, found)`` completing a ``source`` as ``plan`` selects, each field read
    and completed as ``field_code`` says (None when one is not plain): a null in a non-null
    field is not plain, a nullable one stays null."""
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
        read, converted = field_code(field, value, index, namespace)
        if read is None or converted is None:
            return None
        lines.extend(read)
        if field.non_null:
            lines += [f"    if {value} is None:", "        raise NotPlain", f"    {converted}"]
        else:
            lines += [f"    if {value} is not None:", f"        {converted}"]
        entries.append(f"{field.key!r}: {value}")
    lines.append("    return {" + ", ".join(entries) + "}")
    exec("\n".join(lines), namespace)  # our own source: names checked, keys repr()ed
    return namespace["build"]


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
            f"if type({value}) is list else rows{index}({value}, found)"
        )
    return None


def _rows_completion(element: TypePlan, nullable: bool) -> Callable[[Any, Found], list[Any]]:
    """A batch's list of ``element`` objects answered as rows (``ReadRows``) completed from
    them (:func:`from_rows`); anything else is not plain."""

    def complete(value: Any, found: Found) -> list[Any]:
        if type(value) is ReadRows:
            built = from_rows(element, value, nullable, found)
            if built is not None:
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


RowBuild = Callable[[Any, Found], dict[str, Any]]

_STUB_REF = EntityStub.ref.__func__  # type: ignore[attr-defined]
_UNSEEN: Any = object()


def from_rows(
    plan: TypePlan, value: ReadRows[Any], nullable: bool, found: Found
) -> list[Any] | None:
    """The list's items completed from their rows as ``plan`` (an object type's, or an
    abstract type's by each row's type) selects, or None when a row cannot be (the list is
    then completed from its objects). ``found``: what batches answered, per row."""
    rows = value.rows
    fields = value.fields
    try:
        if rows and fields.count(fields[0]) == len(fields) and None not in rows:
            classes = set(map(type, rows))
            if len(classes) == 1:  # one type, one column set (a page, a batch's list)
                build = row_build(plan, fields[0], classes.pop())  # type: ignore[arg-type]
                return None if build is None else [build(row, found) for row in rows]
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
                build = builds[key] = row_build(plan, read, type(row))
            if build is None:
                return None
            out.append(build(row, found))
        return out
    except Exception:  # not plain after all: completed from the objects
        return None


def row_build(plan: TypePlan, read: RowFields[Any], row_type: type) -> RowBuild | None:
    """The generated completion of ``read``'s rows of ``row_type`` as ``plan`` (or, for an
    abstract type, its possible type ``read`` reads) selects, kept on the object type's
    plan; None where one cannot be."""
    target = plan if plan.kind is Kind.OBJECT else plan.possible.get(read.type_name)
    if target is None or target.kind is not Kind.OBJECT or target.name != read.type_name:
        return None
    key = (id(read), row_type)
    found = target.row_builds.get(key, _UNSEEN)
    if found is _UNSEEN:
        found = target.row_builds[key] = _row_builder(target, read, row_type)
    return found  # type: ignore[no-any-return]


def _row_builder(plan: TypePlan, read: RowFields[Any], row_type: type) -> RowBuild | None:
    """The function completing a row of ``row_type`` (a named tuple) as ``plan`` selects, or
    None when a selected field is not plain. The row is the ``source`` a batched field's
    value was found for (run.OperationRun._rows_batched)."""
    if not isinstance(getattr(row_type, "_fields", None), tuple):
        return None

    def field_code(
        field: FieldPlan, value: str, index: int, namespace: dict[str, Any]
    ) -> tuple[list[str] | None, str | None]:
        if field.attribute is None:  # a batched field: what its batch answered for the row
            return _object_field(field, value, index, namespace)
        return _from_row(field, value, index, read, row_type, namespace)

    return _generated(plan, field_code)  # type: ignore[no-any-return]


def _from_row(
    field: FieldPlan,
    value: str,
    index: int,
    read: RowFields[Any],
    row_type: type,
    namespace: dict[str, Any],
) -> tuple[list[str] | None, str | None]:
    """The statements reading an attribute ``field`` from the row into ``value``, and the
    one completing it (None, None when it is not plain)."""
    assert field.attribute is not None
    column, convert = read.attributes.get(field.attribute, (None, None))
    if column == WHOLE_ROW:  # a type read from the same row: a node of an edge
        if field.object_plan is None or not isinstance(convert, RowFields):
            return None, None
        nested = row_build(field.object_plan, convert, row_type)
        if nested is None:
            return None, None
        namespace[f"build{index}"] = nested
        return [f"    {value} = source"], f"{value} = build{index}({value}, found)"
    columns: tuple[str, ...] = row_type._fields  # type: ignore[attr-defined]
    if column is None or column not in columns:
        return None, None
    if field.object_plan is not None:  # another domain's entity: its stub's selection
        cell = column_cell("source", column, None, columns, index, namespace)
        return [f"    {value} = {cell}"], _stub(field.object_plan, value, convert, field.non_null)
    if field.leaf is None:
        return None, None
    cell = column_cell("source", column, convert, columns, index, namespace)
    return [f"    {value} = {cell}"], _converted(field, value, index, namespace)


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
    otherwise = "_not_plain()" if non_null else "None"
    return f"{value} = {{{', '.join(entries)}}} if {value} else {otherwise}"
