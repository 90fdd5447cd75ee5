"""Plain reads on the driver's connection.

A read through SQLAlchemy's Connection costs, per statement, its cache key, an execution
context, the asyncpg adapter's cursor and a greenlet switch, then a Row per row; a page's
reads spent more time there than in asyncpg. A read here is a Core statement compiled once
per shape (SQL text, parameter order, the types' conversions), run with asyncpg's
``fetch`` (which prepares each SQL text once per connection) and turned into named tuples.

Statements are found by identity first: a loader builds its statements once and reuses
them, so their reads skip even the cache key. A statement built per request (a page's
query) is found by its cache key, its own bound values extracted from it, as SQLAlchemy's
compiled cache does; parameters rendered per execution (an expanding ``IN``) are rendered
as SQLAlchemy's execution context renders them. A write is not a plain read: it is
answered None and runs through SQLAlchemy.

A read of a table marked ``PLANNED_PER_EXECUTION`` (in its ``info``) is planned for the
values of each execution (``CompiledRead.per_execution``): the value tokens, whose rows
per value range from none to most of a tenant's (db/value_tokens.py). So is a read given
an array of more than ``MANY_KEYS`` values (``planned_for``): the plan PostgreSQL keeps
for any value takes an array parameter for a handful of elements (it cannot count them
nor, unlike a constant's, hash them) and probes an index once per element, where a plan
for the values hashes them and scans. A blast radius's open incidents, 5,317 CIs' worth,
took 8-9 ms with the kept plan and 5-6 ms planned for them (bench.cmdb)."""

from __future__ import annotations

import collections
import functools
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ClauseElement, Executable, Select, Table, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import visitors
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import _anonymous_label

# Distinct statement shapes kept per dialect; past it the oldest is forgotten.
_SHAPES = 1000
# A table's ``info`` key: a read of it is planned for each execution's values.
PLANNED_PER_EXECUTION = "planned_per_execution"
# A read given an array of more values than this is planned for them (the module's
# docstring): below it, the kept plan's probe per value costs less than planning again.
MANY_KEYS = 1_000


class CompiledRead:
    """One statement shape compiled for asyncpg: its SQL text and how to bind its
    parameters and convert its rows."""

    __slots__ = (
        "_binds",
        "_compiled",
        "_expanded_names",
        "_expanding",
        "_expansions",
        "_own",
        "_positions",
        "_results",
        "mergeable",
        "names",
        "per_execution",
        "sql",
    )

    def __init__(self, compiled: SQLCompiler, dialect: Dialect) -> None:
        self.sql: str = compiled.string
        self._compiled = compiled
        # A plan PostgreSQL makes once for any value (after five executions of a prepared
        # statement, when it seems no worse) does not fit them all: plan each execution.
        self.per_execution = any(
            isinstance(element, Table) and element.info.get(PLANNED_PER_EXECUTION)
            for element in visitors.iterate(compiled.statement)
        )
        # Parameters rendered per execution (an expanding IN): the SQL text depends on them.
        self._expanding = bool(compiled.post_compile_params or compiled.literal_execute_params)
        self._positions = tuple(compiled.positiontup or ())
        self._own = _own_values(compiled)
        # Per length of each expanding parameter's list, its text and arguments' sources.
        self._expanded_names = _expanded_names(compiled) if self._expanding else None
        self._expansions: dict[tuple[int, ...], _Expansion] = {}
        processors: Mapping[str, Callable[[Any], Any]] = compiled._bind_processors  # type: ignore[assignment]
        self._binds = tuple(
            (position, processors[name])
            for position, name in enumerate(self._positions)
            if name in processors
        )
        results = [
            column[3]._cached_result_processor(dialect, None) for column in compiled._result_columns
        ]
        self._results: tuple[Callable[[Any], Any] | None, ...] | None = (
            tuple(results) if any(results) else None
        )
        # Its columns' names, as PostgreSQL names them (what a merged read's part has no
        # record keys for: db/merged_reads.py).
        self.names = tuple(
            name.apply_map(compiled.anon_map) if isinstance(name, _anonymous_label) else name
            for _, name, *_ in compiled._result_columns
        )
        # Whether it may be a part of a merged read: a SELECT built of clauses (not text)
        # whose columns are known, taking no row lock (which a UNION refuses).
        statement = compiled.statement
        self.mergeable = (
            bool(self.names) and isinstance(statement, Select) and statement._for_update_arg is None
        )

    def bound(
        self, params: Mapping[str, Any] | None, extracted: Sequence[Any] | None
    ) -> tuple[str, list[Any]]:
        """The SQL text and its positional arguments: ``params`` over the statement's own
        bound values (``extracted`` from it when it is not the statement this was compiled
        from)."""
        compiled = self._compiled
        own = self._own if extracted is None else None
        if self._expanding:
            if own is None:
                values = compiled.construct_params(
                    params, extracted_parameters=extracted, _no_postcompile=True
                )
            else:
                values = {name: _value(held, name, params) for name, held in own.items()}
            return self._expanded(values)
        if own is None:
            values = compiled.construct_params(params, extracted_parameters=extracted)
            arguments = [values[name] for name in self._positions]
        else:
            arguments = [_value(own[name], name, params) for name in self._positions]
        for position, process in self._binds:
            arguments[position] = process(arguments[position])
        return self.sql, arguments

    def planned_for(self, arguments: Sequence[Any]) -> bool:
        """Whether this execution is planned for its ``arguments``' values (see the module's
        docstring), rather than run with the plan PostgreSQL keeps for the statement."""
        return self.per_execution or any(
            type(argument) is list and len(argument) > MANY_KEYS for argument in arguments
        )

    def _expanded(self, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The text with its expanding parameters rendered for ``values``, as SQLAlchemy's
        execution context renders it: rendered once per length of each list (the text
        depends on nothing else, unless a value is rendered into it)."""
        lengths = _lengths(self._expanded_names, values)
        expansion = self._expansions.get(lengths) if lengths is not None else None
        if expansion is not None:
            arguments = [
                values[name] if index < 0 else values[name][index]
                for name, index in expansion.sources
            ]
            for position, process in expansion.binds:
                arguments[position] = process(arguments[position])
            return expansion.sql, arguments
        state = self._compiled._process_parameters_for_postcompile(dict(values))
        # The expanded parameters' own, over the statement's (as the execution context merges).
        processors: dict[str, Callable[[Any], Any]] = {
            **self._compiled._bind_processors,  # type: ignore[dict-item]
            **state.processors,
        }
        parameters = state.parameters
        positions = state.positiontup or ()
        if lengths is not None and len(self._expansions) < _EXPANSIONS:
            self._expansions[lengths] = _expansion(state.statement, positions, state, processors)
        return state.statement, [
            processors[name](parameters[name]) if name in processors else parameters[name]
            for name in positions
        ]

    def rows(self, records: Sequence[Any]) -> list[Any]:
        """asyncpg's records as named tuples (one class per column list), converted by the
        columns' types where they convert (none of our tables' do today)."""
        if not records:
            return []
        return self._made(tuple(records[0].keys()), records)

    def part_rows(self, values: Sequence[tuple[Any, ...]]) -> list[Any]:
        """Rows given as tuples of this read's columns (its part of a merged read), as
        :meth:`rows` makes them."""
        if not values:
            return []
        return self._made(self.names, values)

    def _made(self, names: tuple[str, ...], records: Sequence[Any]) -> list[Any]:
        # tuple.__new__ bound to the class: the named tuple's own _make is a Python call
        # per row.
        make = functools.partial(tuple.__new__, row_class(names))
        results = self._results
        if results is None:
            return list(map(make, records))
        return [
            make(
                value if process is None else process(value)
                for value, process in zip(record, results, strict=True)
            )
            for record in records
        ]


# Bound parameters with no value of their own, which every execution must give.
_REQUIRED = object()
# Expanded texts kept per read (list lengths seen); past it, rendered every time.
_EXPANSIONS = 64


def _own_values(compiled: SQLCompiler) -> dict[str, tuple[str, Any]] | None:
    """Per bound parameter's name, its key and the value it holds (``_REQUIRED``: none),
    where an execution's values are found so without SQLAlchemy's ``construct_params`` (a
    loop over every bound parameter, a quarter of a loader's read): None for a statement
    with a parameter valued by a callable, or names escaped in its text."""
    if compiled.escaped_bind_names or getattr(compiled, "_collect_params", False):
        return None
    own: dict[str, tuple[str, Any]] = {}
    for bindparam, name in compiled.bind_names.items():
        if bindparam.callable is not None:
            return None
        own[name] = (bindparam.key, _REQUIRED if bindparam.required else bindparam.value)
    return own


def _value(own: tuple[str, Any], name: str, params: Mapping[str, Any] | None) -> Any:
    """A bound parameter's value in an execution given ``params`` (by its key, or its
    name), as ``construct_params`` finds it."""
    key, value = own
    if params:
        if key in params:
            return params[key]
        if name in params:
            return params[name]
    if value is _REQUIRED:
        raise exc.InvalidRequestError(f"A value is required for bind parameter {key!r}")
    return value


@dataclass(frozen=True, slots=True)
class _Expansion:
    """A read's text for one length of each expanding list, and its arguments: per
    position, the value it is (by name) or the element of a list it is (its index; -1: the
    value itself), and the positions converted (as ``CompiledRead._binds``)."""

    sql: str
    sources: tuple[tuple[str, int], ...]
    binds: tuple[tuple[int, Callable[[Any], Any]], ...]


def _expanded_names(compiled: SQLCompiler) -> tuple[str, ...] | None:
    """The names of the expanding parameters whose lists' lengths are all the expanded text
    depends on; None when it depends on more: a value rendered into it, a list of tuples."""
    if compiled.literal_execute_params or any(
        bindparam.type._is_tuple_type for bindparam in compiled.post_compile_params
    ):
        return None
    return tuple(compiled.bind_names[bindparam] for bindparam in compiled.post_compile_params)


def _lengths(names: tuple[str, ...] | None, values: Mapping[str, Any]) -> tuple[int, ...] | None:
    """The length of each of the ``names``' lists in ``values`` (None: no such key to the
    text, or a value not a list)."""
    if names is None:
        return None
    lengths = []
    for name in names:
        value = values.get(name)
        if not isinstance(value, list | tuple):
            return None
        lengths.append(len(value))
    return tuple(lengths)


def _expansion(
    sql: str,
    positions: Sequence[str],
    state: Any,
    processors: Mapping[str, Callable[[Any], Any]],
) -> _Expansion:
    """How to bind the text SQLAlchemy expanded (``state``) for other lists of the same
    lengths: each expanded parameter is an element of its list, by position."""
    elements = {
        expanded: (name, index)
        for name, keys in state.parameter_expansion.items()
        for index, expanded in enumerate(keys)
    }
    return _Expansion(
        sql,
        tuple(elements.get(position, (position, -1)) for position in positions),
        tuple(
            (index, processors[position])
            for index, position in enumerate(positions)
            if position in processors
        ),
    )


@functools.lru_cache(maxsize=256)
def row_class(columns: tuple[str, ...]) -> Any:
    """The named tuple for a statement's columns (one per column list)."""
    return collections.namedtuple("Row", columns, rename=True)


class CompiledReads:
    """The compiled reads of one dialect, by statement and by statement shape."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._by_statement: weakref.WeakKeyDictionary[
            ClauseElement, tuple[CompiledRead, Sequence[Any] | None] | None
        ] = weakref.WeakKeyDictionary()
        self._by_shape: dict[Any, CompiledRead | None] = {}

    def get(self, statement: Executable) -> tuple[CompiledRead, Sequence[Any] | None] | None:
        """The compiled read of ``statement`` with the bound values to extract from it, or
        None where the statement must run through SQLAlchemy."""
        if not isinstance(statement, ClauseElement):
            return None
        try:
            return self._by_statement[statement]
        except KeyError:
            pass
        found = self._by_statement[statement] = self._compile(statement)
        return found

    def _compile(
        self, statement: ClauseElement
    ) -> tuple[CompiledRead, Sequence[Any] | None] | None:
        cache_key = statement._generate_cache_key()
        if cache_key is None:  # a statement SQLAlchemy cannot cache either: this one only
            read = _compiled(statement, self._dialect, None)
            return None if read is None else (read, None)
        shapes = self._by_shape
        if cache_key.key in shapes:
            read = shapes[cache_key.key]
            return None if read is None else (read, cache_key.bindparams)
        if len(shapes) >= _SHAPES:
            del shapes[next(iter(shapes))]
        read = shapes[cache_key.key] = _compiled(statement, self._dialect, cache_key)
        # The statement compiled is the one whose bound values the compiled form holds.
        return None if read is None else (read, None)


def _compiled(statement: ClauseElement, dialect: Dialect, cache_key: Any) -> CompiledRead | None:
    compiled = statement.compile(dialect=dialect, cache_key=cache_key)
    assert isinstance(compiled, SQLCompiler), compiled
    if compiled.isinsert or compiled.isupdate or compiled.isdelete:
        return None
    return CompiledRead(compiled, dialect)


_READS: weakref.WeakKeyDictionary[Dialect, CompiledReads] = weakref.WeakKeyDictionary()
_KNOWN: weakref.WeakKeyDictionary[Dialect, dict[ClauseElement, CompiledRead]] = (
    weakref.WeakKeyDictionary()
)


def compiled_statement(statement: ClauseElement, dialect: Dialect) -> CompiledRead:
    """A statement built once, a write included, compiled once per dialect for a caller that
    runs it on the driver's connection in the transaction it holds (its bound values are
    the statement's own, or given)."""
    known = _KNOWN.setdefault(dialect, {})
    found = known.get(statement)
    if found is None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler), compiled
        found = known[statement] = CompiledRead(compiled, dialect)
    return found


def compiled_reads(dialect: Dialect) -> CompiledReads:
    """The dialect's compiled reads (an engine's dialect lives as long as the engine)."""
    reads = _READS.get(dialect)
    if reads is None:
        reads = _READS[dialect] = CompiledReads(dialect)
    return reads
