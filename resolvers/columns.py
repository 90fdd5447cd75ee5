"""Reading only the columns an operation needs.

A type read from a table declares, in :class:`RowFields`, which column each of its
attributes comes from (and how it converts), and which columns each of its GraphQL fields
needs (a masked e-mail needs ``email``, a reference needs its id column, a field with its
own resolver the columns that resolver reads). ``RowFields.columns(info, ...)`` derives the
columns a resolver's selection needs; loaders read just those (``resolvers.loaders``), and
``RowFields.read`` builds the type from rows of any column set, leaving unread attributes
None (no selected field reads them).

The selection is read from the operation's syntax tree, counting every field whatever its
``@skip``/``@include`` says: reading a column nobody shows never changes an answer, so the
result depends on the document alone and is cached per field node. A selected field the
declaration does not know (added later, say) makes the read select every column."""

from __future__ import annotations

import dataclasses
import keyword
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLAbstractType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
)

T = TypeVar("T")

Columns = frozenset[str] | None
"""Column names of one table to read; None for every column."""

Convert = Callable[[Any], Any]

WHOLE_ROW = "*"
"""The column of an attribute read from the whole row: by another :class:`RowFields` (an
edge's node, from the row the edge is read from), or as it is (the edge's row)."""

_STRAWBERRY_DEFINITION = "strawberry-definition"


class RowFields(Generic[T]):
    """How ``type_``'s attributes are read from rows of its table and which columns its
    GraphQL fields need.

    ``attributes`` maps an attribute to its column, or to (column, conversion); an
    attribute that is also a plain GraphQL field needs just that column. An ``ID`` from a
    UUID column converts with ``str`` itself (``strawberry.ID`` is ``str`` at run time):
    called in C, where a function around it costs a Python frame per row read. An
    attribute mapped to another ``RowFields`` is that type read from the whole row, one
    mapped to ``WHOLE_ROW`` the row itself (an edge's node and row); ``constants`` are
    attributes every object read gets (an edge's order). ``needs`` maps the Python name of
    a field with its own resolver to the columns it reads. ``always`` are read whatever is
    selected (the key). ``type_name``: the GraphQL type's, when ``type_`` is generic."""

    def __init__(
        self,
        type_: type[T],
        attributes: Mapping[str, str | tuple[str, Convert | None] | RowFields[Any]],
        needs: Mapping[str, Iterable[str]] | None = None,
        always: Iterable[str] = ("id",),
        *,
        constants: Mapping[str, Any] | None = None,
        type_name: str | None = None,
    ) -> None:
        self.type = type_
        self.type_name: str = type_name or type_.__strawberry_definition__.name  # type: ignore[attr-defined]
        self.attributes: dict[str, tuple[str, Any]] = {
            name: (source, None)
            if isinstance(source, str)
            else (WHOLE_ROW, source)
            if isinstance(source, RowFields)
            else source
            for name, source in attributes.items()
        }
        self.constants = dict(constants or {})
        self.needs: dict[str, frozenset[str]] = {
            name: frozenset() if column == WHOLE_ROW else frozenset({column})
            for name, (column, _) in self.attributes.items()
        }
        self.needs.update((name, frozenset(columns)) for name, columns in (needs or {}).items())
        self.always = frozenset(always)
        self._by_graphql_name: dict[str, frozenset[str] | None] | None = None
        self._columns: dict[frozenset[str], Columns] = {}
        self._readers: dict[type, Callable[[Any], T]] = {}

    def columns(
        self, info: GraphQLResolveInfo | Any, path: Sequence[str] = (), *, also: Iterable[str] = ()
    ) -> Columns:
        """The columns the fields selected below ``info``'s field (through ``path``, e.g.
        ``("edges", "node")``) need, with ``also`` (what the caller itself reads)."""
        raw = getattr(info, "_raw_info", info)
        names = selected_fields(raw, self.type_name, tuple(path))
        columns = self._columns.get(names)
        if columns is None and names not in self._columns:
            columns = self._columns[names] = self._for_fields(raw.schema, names)
        return None if columns is None else columns.union(also) if also else columns

    def _for_fields(self, schema: GraphQLSchema, names: frozenset[str]) -> Columns:
        by_name = self._by_graphql_name
        if by_name is None:
            by_name = self._by_graphql_name = self._graphql_needs(schema)
        columns = set(self.always)
        for name in names:
            if name == "__typename":
                continue
            needed = by_name.get(name)
            if needed is None:
                return None
            columns |= needed
        return frozenset(columns)

    def _graphql_needs(self, schema: GraphQLSchema) -> dict[str, frozenset[str] | None]:
        graphql_type = schema.get_type(self.type_name)
        assert isinstance(graphql_type, GraphQLObjectType), graphql_type
        found: dict[str, frozenset[str] | None] = {}
        for name, field in graphql_type.fields.items():
            definition = (field.extensions or {}).get(_STRAWBERRY_DEFINITION)
            python_name = getattr(definition, "python_name", None)
            found[name] = self.needs.get(python_name) if python_name else None
        return found

    def many(self, rows: Sequence[Any]) -> ReadRows[T]:
        """``type_`` from each of ``rows`` (None stays None), made when first looked at."""
        return ReadRows(rows, [self] * len(rows))

    def read(self, row: Any) -> T:
        """``type_`` from one row: a named tuple of any of the table's column sets (what a
        loader reads), or any object with every column as an attribute (a mapped row)."""
        reader = self._readers.get(type(row))
        if reader is None:
            fields = getattr(type(row), "_fields", None)
            # A named tuple class says its fields; SQLAlchemy's Row (one class for every
            # statement, ``_fields`` a per-row property) is read by attribute, like a mapped row.
            known = fields if isinstance(fields, tuple) else None
            reader = self._readers[type(row)] = self._reader(known)
        return reader(row)

    def _reader(self, fields: Sequence[str] | None) -> Callable[[Any], T]:
        """A builder for rows with ``fields`` (None: read every column by attribute)."""
        build = self.type
        present = [
            (name, column, convert)
            for name, (column, convert) in self.attributes.items()
            if fields is None or column in fields or column == WHOLE_ROW
        ]
        names = {name for name, _, _ in present}
        absent = {name: None for name in self.attributes if name not in names}
        constant = {**absent, **self.constants}
        defaults = _plain_defaults(build, [*self.attributes, *self.constants])
        if defaults is None:  # built through its __init__, with every attribute
            return _generated_reader(build, present, fields, constant, through_init=True)
        return _generated_reader(build, present, fields, {**defaults, **constant})


class ReadRows(Sequence[T]):
    """Objects read from rows, made only when someone looks at them: to every reader
    (iterating, indexing, counting) a sequence of the objects, made once, in the rows'
    order, None for a missing row. The compiled executor completes a list of them straight
    from the rows where every field its operation selects is a plain column
    (resolvers/executor/builders.py): no object per row. ``fields``: per row the
    :class:`RowFields` it is read with (rows of several types may share one sequence, an
    entity fetch's; None for a missing row)."""

    __slots__ = ("_objects", "fields", "rows")

    def __init__(self, rows: Sequence[Any], fields: Sequence[RowFields[Any] | None]) -> None:
        self.rows = rows
        self.fields = fields
        self._objects: list[T] | None = None

    def objects(self) -> list[T]:
        """The objects, made at the first call."""
        objects = self._objects
        if objects is None:
            made: list[Any] = [
                None if row is None or fields is None else fields.read(row)
                for row, fields in zip(self.rows, self.fields, strict=True)
            ]
            objects = self._objects = made
        return objects

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[T]:
        return iter(self.objects())

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        return self.objects()[index]

    def __repr__(self) -> str:  # the rows: showing it makes no object
        return f"ReadRows({self.rows!r})"


def _generated_reader(
    build: type[T],
    present: Sequence[tuple[str, str, Any]],
    fields: Sequence[str] | None,
    constant: Mapping[str, Any],
    *,
    through_init: bool = False,
) -> Callable[[Any], T]:
    """A reader generated for one row shape: ``build``'s instance with its ``__dict__`` the
    ``present`` attributes (read from the row by position in a named tuple of ``fields``,
    else by attribute, and converted) and the ``constant`` ones (defaults, and None for
    what the row lacks), written out as one dict display — or, when most attributes are
    constant (a page reads a few of an incident's 36), a copy of the constants with the
    present ones set, which costs a fraction of a display that long. Instead of updating a
    template and converting in a loop: a blast radius reads thousands of rows.
    ``through_init``: the same dict passed to ``build``'s ``__init__`` as keywords instead
    (a type whose ``__dict__`` cannot simply be filled, see ``_plain_defaults``)."""
    namespace: dict[str, Any] = {"new": object.__new__, "build": build}
    values: list[tuple[str, str]] = []
    for index, (name, column, convert) in enumerate(present):
        if column == WHOLE_ROW:
            value = "row"
            if convert is not None:  # another type's RowFields
                namespace[f"read{index}"] = convert.read
                value = f"read{index}(row)"
            values.append((name, value))
            continue
        values.append((name, column_cell("row", column, convert, fields, index, namespace)))
    if len(constant) > len(values):
        namespace["constant"] = dict(constant)
        lines = ["    state = constant.copy()"]
        lines += [f"    state[{name!r}] = {value}" for name, value in values]
    else:
        entries = [f"{name!r}: {value}" for name, value in values]
        for index, (name, default) in enumerate(constant.items()):
            namespace[f"constant{index}"] = default
            entries.append(f"{name!r}: constant{index}")
        lines = ["    state = {" + ", ".join(entries) + "}"]
    lines += (
        ["    return build(**state)"]
        if through_init
        else ["    built = new(build)", "    built.__dict__ = state", "    return built"]
    )
    body = "\n".join(lines) + "\n"
    source = "def read(row):\n" + body
    exec(source, namespace)  # our own source: attribute names repr()ed, columns checked
    return namespace["read"]  # type: ignore[no-any-return]


def column_cell(
    row: str,
    column: str,
    convert: Convert | None,
    fields: Sequence[str] | None,
    index: int,
    namespace: dict[str, Any],
) -> str:
    """Generated code's expression of a value read from the row named ``row``: its
    ``column``, by position in a named tuple of ``fields`` (else by attribute), converted
    by ``convert`` (put in ``namespace`` as ``convert<index>``) as a reader converts it."""
    if fields is not None:
        value = f"{row}[{fields.index(column)}]"
    elif column.isidentifier() and not keyword.iskeyword(column):
        value = f"{row}.{column}"
    else:
        value = f"getattr({row}, {column!r})"
    if convert is None:
        return value
    namespace[f"convert{index}"] = convert
    return f"convert{index}({value})"


def _plain_defaults(type_: type, attributes: Iterable[str]) -> dict[str, Any] | None:
    """The default of each of ``type_``'s dataclass fields not among ``attributes``, when
    its instances can be built by filling their ``__dict__`` with what its ``__init__``
    would assign: a dataclass without ``__post_init__``, slots or default factories, whose
    every ``__init__`` argument is an attribute or has a default. None otherwise.

    A page builds hundreds of objects from rows; the generated ``__init__`` called with
    keywords costs more than the rest of reading a row."""
    if not dataclasses.is_dataclass(type_) or hasattr(type_, "__post_init__"):
        return None
    if "__slots__" in vars(type_):
        return None
    given = set(attributes)
    defaults: dict[str, Any] = {}
    for field in dataclasses.fields(type_):
        if field.default_factory is not dataclasses.MISSING:
            return None
        if not field.init:  # ``__init__`` assigns only its default, if it has one
            if field.default is not dataclasses.MISSING:
                defaults[field.name] = field.default
        elif field.name not in given:
            if field.default is dataclasses.MISSING:
                return None
            defaults[field.name] = field.default
    return defaults


def chosen_columns(table: Any, columns: Columns) -> list[Any]:
    """``table``'s columns named in ``columns`` (all for None), in the table's order: one
    column set, one statement text."""
    return [c for c in table.__table__.columns if columns is None or c.name in columns]


# Per field node list (by the nodes' identity; an entry is dropped when its nodes' document
# is freed, so it never outlives them nor keeps them alive): per target type and path, the
# names of that type's fields selected below.
_Selections = tuple[tuple["weakref.ref[FieldNode]", ...], dict[Any, frozenset[str]]]
_SELECTIONS: dict[tuple[int, ...], _Selections] = {}


def selected_fields(
    info: GraphQLResolveInfo, type_name: str, path: tuple[str, ...] = ()
) -> frozenset[str]:
    """Names of ``type_name``'s fields selected below ``info``'s field, reached through the
    fields named in ``path``; fragments are followed where their type condition applies to
    ``type_name``; directives are ignored (see the module's docstring)."""
    nodes = info.field_nodes
    key = tuple(map(id, nodes))
    entry = _SELECTIONS.get(key)
    if entry is None or any(ref() is not node for ref, node in zip(entry[0], nodes, strict=True)):
        entry = _SELECTIONS[key] = (tuple(weakref.ref(node) for node in nodes), {})
        weakref.finalize(nodes[0], _forget, key, entry)
    found = entry[1].get((type_name, path))
    if found is None:
        found = entry[1][(type_name, path)] = _walk(info, type_name, path)
    return found


def _forget(key: tuple[int, ...], entry: _Selections) -> None:
    if _SELECTIONS.get(key) is entry:
        del _SELECTIONS[key]


def _walk(info: GraphQLResolveInfo, type_name: str, path: tuple[str, ...]) -> frozenset[str]:
    fragments = info.fragments
    schema = info.schema
    target = schema.get_type(type_name)
    sets = [node.selection_set for node in info.field_nodes if node.selection_set]
    for step in path:
        fields: list[FieldNode] = []
        for selection_set in sets:
            _collect(selection_set, fragments, lambda condition: True, fields)
        sets = [f.selection_set for f in fields if f.name.value == step and f.selection_set]

    def applies(condition: str) -> bool:
        if condition == type_name:
            return True
        condition_type = schema.get_type(condition)
        return (
            isinstance(condition_type, GraphQLAbstractType)
            and isinstance(target, GraphQLObjectType)
            and schema.is_sub_type(condition_type, target)
        )

    selected: list[FieldNode] = []
    for selection_set in sets:
        _collect(selection_set, fragments, applies, selected)
    return frozenset(field.name.value for field in selected)


def _collect(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    applies: Callable[[str], bool],
    out: list[FieldNode],
) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            out.append(selection)
            continue
        if isinstance(selection, InlineFragmentNode):
            condition, inner = selection.type_condition, selection.selection_set
        else:
            fragment = fragments.get(selection.name.value)  # type: ignore[attr-defined]
            if fragment is None:
                continue
            condition, inner = fragment.type_condition, fragment.selection_set
        if condition is None or applies(condition.name.value):
            _collect(inner, fragments, applies, out)
