"""Running a compiled operation for one request: the GraphQL execution semantics without
per-field machinery.

Fields are read (attribute getters, direct calls, resolvers, or values a batch resolved for
a whole list) and their values completed (:mod:`resolvers.executor.completion`). Errors are
located at their field's path; error codes and masking are ``resolvers.errors``'.
"""

from __future__ import annotations

import asyncio
import collections
import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, GraphQLSchema, located_error
from graphql.execution.values import VariableValues, get_argument_values
from graphql.pyutils import Path, is_awaitable
from graphql.type.definition import GraphQLResolveInfoHelpers

from resolvers.columns import WHOLE_ROW, ReadRows, RowFields, column_cell
from resolvers.errors import with_code
from resolvers.executor.builders import from_rows
from resolvers.executor.completion import (
    Chain,
    Null,
    ValueCompletion,
    is_async,
    of_type,
    one_class,
    settle,
)
from resolvers.executor.direct_calls import DirectCall
from resolvers.executor.operation import CompiledOperation, FieldPlan, Found, Kind, TypePlan


def _as_path(chain: Chain) -> Path | None:
    if chain is None:
        return None
    parent, key, type_name = chain
    return Path(_as_path(parent), key, type_name)


def _as_list(chain: Chain) -> list[str | int]:
    keys: list[str | int] = []
    while chain is not None:
        chain, key, _ = chain
        keys.append(key)
    return keys[::-1]


def _follow(source: Any, chain: tuple[FieldPlan, ...]) -> Any:
    """The object reached from ``source`` through plain attribute fields (None if any link
    is missing, fails or is not a plain object)."""
    for link in chain:
        if source is None or isinstance(source, Exception) or hasattr(source, "__await__"):
            return None
        assert link.getter is not None
        try:
            source = link.getter(source)
        except Exception:  # its own completion reports it
            return None
    if isinstance(source, Exception) or hasattr(source, "__await__"):
        return None
    return source


def _sources(elements: list[Any], chain: tuple[FieldPlan, ...]) -> list[Any]:
    """The objects reached from ``elements`` through ``chain`` (``_follow``): without a
    chain, the elements themselves, all of them at once when they share a class that is a
    plain object's (an entity list's thousands)."""
    if not chain:
        cls = one_class(elements)
        if cls is not None and _plain_class(cls):
            return list(elements)
    return [source for element in elements if (source := _follow(element, chain)) is not None]


def _row_sources(
    value: ReadRows[Any], item: TypePlan
) -> list[tuple[FieldPlan, tuple[FieldPlan, ...], list[Any], list[Any]]] | None:
    """Per batched field ``item``'s objects reach: the field, its chain, the rows whose
    objects it is resolved for, and for each an object holding just the attributes the
    batch reads, read from the row; None where a batch needs the objects themselves (it
    does not say what it reads, its permission check depends on the object, its chain goes
    through more than types read from the same row, an attribute is not a column's)."""
    groups: dict[tuple[int, type], tuple[RowFields[Any], list[Any]]] = {}
    for row, read in zip(value.rows, value.fields, strict=True):
        if row is not None and read is not None:
            key = (id(read), type(row))
            if key not in groups:
                groups[key] = (read, [])
            groups[key][1].append(row)
    found = []
    for chain, batched in item.batches:
        direct = batched.direct
        reads = batched.reads
        if not reads or direct is None or (direct.guards and direct.checks_each_source):
            return None
        owner = (chain[0] if chain else batched).parent_type.name
        rows: list[Any] = []
        sources: list[Any] = []
        for read, group in groups.values():
            if read.type_name != owner:
                continue
            for link in chain:
                column, nested = read.attributes.get(link.attribute or "", (None, None))
                if column != WHOLE_ROW or not isinstance(nested, RowFields):
                    return None
                read = nested
            row_type: Any = type(group[0])
            make = _source_maker(read, row_type, reads)
            if make is None:
                return None
            rows += group
            sources += make(group)
        found.append((batched, chain, rows, sources))
    return found


@functools.lru_cache(maxsize=256)
def _source_maker(
    read: RowFields[Any], row_type: type, reads: tuple[str, ...]
) -> Callable[[list[Any]], list[Any]] | None:
    """A function making, of rows of ``row_type``, the objects a batch reading ``reads``
    is given (``_row_sources``): named tuples of those attributes, each read from its
    column and converted as ``read``'s reader would; None where one is not a column's."""
    columns = getattr(row_type, "_fields", None)
    if not isinstance(columns, tuple):
        return None
    namespace: dict[str, Any] = {
        "new": tuple.__new__,
        "Known": collections.namedtuple("Known", reads),  # type: ignore[misc]
    }
    cells = []
    for index, name in enumerate(reads):
        column, convert = read.attributes.get(name, (None, None))
        if column is None or column not in columns:
            return None
        cells.append(column_cell("row", column, convert, columns, index, namespace))
    source = f"def make(rows):\n    return [new(Known, ({', '.join(cells)},)) for row in rows]"
    exec(source, namespace)  # our own source: positions ints, names of a namespace
    return namespace["make"]  # type: ignore[no-any-return]


def _plain_class(cls: type) -> bool:
    """Whether values of ``cls`` are objects ``_follow`` takes as they are."""
    return not (cls is type(None) or issubclass(cls, Exception) or hasattr(cls, "__await__"))


class _Known:
    """An object known by its id alone, before its row is read: a by-id batch's source."""

    __slots__ = ("id",)

    def __init__(self, id: str) -> None:
        self.id = id


def _read_before(before: dict[str, Any], source: Any) -> tuple[Any] | None:
    """The value read ahead for ``source``'s id, if any (``OperationRun._read_ahead``)."""
    key = getattr(source, "id", None)
    return (before[key],) if type(key) is str and key in before else None


async def _gather(values: Sequence[Awaitable[Any]]) -> list[Any]:
    return list(await asyncio.gather(*values))


_HELPERS = GraphQLResolveInfoHelpers(gather=_gather, track=lambda values: None)


class OperationRun(ValueCompletion):
    """One execution of a compiled operation for one request."""

    def __init__(
        self,
        schema: GraphQLSchema,
        compiled: CompiledOperation,
        variables: VariableValues,
        context: Any,
    ) -> None:
        self.schema = schema
        self.compiled = compiled
        self.variables = variables
        self.context = context
        self.errors: list[GraphQLError] = []
        self._arguments: dict[int, dict[str, Any]] = {}
        # Per batched field: per object the value its batch resolved, taken by the object's
        # completion.
        self.found: Found = {}
        # Batches started ahead of their objects' rows (``_read_ahead``), and per such
        # batched field (by id) what they answered per object id.
        self._ahead: list[asyncio.Future[None]] = []
        self._read_before: dict[int, dict[str, Any]] = {}

    async def data(self) -> dict[str, Any] | None:
        """The operation's ``data`` (None when a non-null root field failed)."""
        try:
            if self.compiled.serial is not None:
                return await self._serially(self.compiled.serial)
            data = self.object(self.compiled.root, None, None)
            if is_async(data):
                data = await data
        except Null:
            return None
        finally:
            await self._read_ahead_done()
        return data  # type: ignore[no-any-return]

    async def _serially(self, steps: tuple[TypePlan, ...]) -> dict[str, Any]:
        """A mutation's root fields, each resolved and completed before the next starts; a
        non-null one's null ends the operation there (``Null``), as GraphQL says."""
        data: dict[str, Any] = {}
        for step in steps:
            value = self.object(step, None, None)
            data.update(await value if is_async(value) else value)
        return data

    def object(self, plan: TypePlan, source: Any, path: Chain) -> Any:
        if plan.build is not None:
            try:
                return plan.build(source, self.found)
            except Exception:  # not plain after all: the general way below answers
                pass
        out: dict[str, Any] = {}
        waiting: list[tuple[str, Any]] = []
        for field in plan.fields:
            key = field.key
            if field.type is None:
                out[key] = plan.name
                continue
            if field.leaf is not None:
                try:
                    value = field.getter(source)  # type: ignore[misc]
                    if value is not None:
                        out[key] = value if type(value) is field.plain else field.leaf(value)
                        continue
                except Exception:  # the general path below reports it, with its path
                    pass
            field_path = (path, key, plan.name)
            if field.getter is not None:
                try:
                    value = field.getter(source)
                    nested = field.object_plan if value is not None else None
                    value = self.complete_field(field, value, field_path, nested)
                except Null:
                    raise
                except Exception as error:
                    value = self.field_error(field, error, field_path)
            elif field.batch is not None and (found := self._batched(field, source)):
                value = self._complete_or_error(field, found[0], field_path)
            else:
                value = self.resolve(field, source, field_path)
            out[key] = value
            if is_async(value):
                waiting.append((key, value))
        if waiting:
            return self._object_later(out, waiting)
        return out

    async def _object_later(self, out: dict[str, Any], waiting: list[tuple[str, Any]]) -> Any:
        results = await settle([value for _, value in waiting])
        for (key, _), result in zip(waiting, results, strict=True):
            out[key] = result
        return out

    def resolve(self, field: FieldPlan, source: Any, path: Chain) -> Any:
        """Call a field's own resolver; its awaitable completes in a coroutine."""
        assert field.definition is not None and field.definition.resolve is not None
        try:
            if field.direct is not None:
                result = field.direct(source, self._info(field, path), self._arguments_of(field))
            else:
                result = field.definition.resolve(
                    source, self._info(field, path), **self._arguments_of(field)
                )
        except Exception as error:
            return self.field_error(field, error, path)
        if is_awaitable(result):
            if field.ahead is not None and self.compiled.serial is None:
                self._read_ahead(field, path)
            return self._resolve_later(field, result, path)
        return self._complete_or_error(field, result, path)

    async def _resolve_later(self, field: FieldPlan, result: Awaitable[Any], path: Chain) -> Any:
        try:
            value = await result
        except Exception as error:
            return self.field_error(field, error, path)
        if field.ahead is not None:
            # What was read with the objects is at hand before they complete.
            await self._read_ahead_done()
        completed = self._complete_or_error(field, value, path)
        return await completed if is_async(completed) else completed

    def _complete_or_error(self, field: FieldPlan, value: Any, path: Chain) -> Any:
        try:
            return self.complete_field(field, value, path)
        except Null:
            raise
        except Exception as error:
            return self.field_error(field, error, path)

    def complete_field(
        self, field: FieldPlan, value: Any, path: Chain, object_plan: TypePlan | None = None
    ) -> Any:
        """A field's value completed; with ``object_plan``, an object (not None) a plain
        attribute holds, which completes straight to its fields."""
        assert field.type is not None
        if isinstance(value, Exception):
            raise value
        try:
            if object_plan is not None:
                completed = self.object(object_plan, value, path)
            else:
                completed = self.complete(field, field.type, value, path)
        except Null:
            if field.non_null:
                raise
            return None
        if is_async(completed):
            return self._nullable_later(completed, nullable=not field.non_null)
        return completed

    async def _list_batched(
        self,
        field: FieldPlan,
        plan: TypePlan,
        items: list[Any] | ReadRows[Any],
        path: Chain,
        item: TypePlan,
    ) -> Any:
        """A list whose objects reach batched fields: each batched field is resolved once for
        all of them (resolvers/batching.py), then the list completes as any other. A list
        answered as rows completes from them where it can (``_rows_batched``)."""
        assert plan.inner is not None
        if type(items) is ReadRows:
            by_rows = _row_sources(items, item)
            if by_rows is not None:
                completed = await self._rows_batched(field, plan.inner, items, path, by_rows)
                return await completed if is_async(completed) else completed
        objects: list[Any] = items.objects() if isinstance(items, ReadRows) else items
        for chain, batched in item.batches:
            elements = objects
            if item.kind is Kind.ABSTRACT:
                elements = of_type(objects, (chain[0] if chain else batched).parent_type.name)
            sources = _sources(elements, chain)
            if sources:
                await self._batch(batched, sources, (path, 0, None))
        completed = self._items(field, plan.inner, objects, path)
        return await completed if is_async(completed) else completed

    async def _rows_batched(
        self,
        field: FieldPlan,
        inner: TypePlan,
        value: ReadRows[Any],
        path: Chain,
        by_rows: list[tuple[FieldPlan, tuple[FieldPlan, ...], list[Any], list[Any]]],
    ) -> Any:
        """A list answered as rows whose objects reach batched fields that say what they read
        of them: each is resolved for objects holding just that, read from the rows
        (``_row_sources``), and what it answered is kept per row; the rows complete from
        there (no object per row: resolvers/executor/builders.py). A row that cannot: the
        list completes from the objects, what the batches answered moved to them."""
        for batched, _, rows, sources in by_rows:
            if sources:
                await self._batch(batched, sources, (path, 0, None))
                found = self.found[id(batched)]
                taken = found.pop
                found.update(
                    [
                        (id(row), (row, entry[1]))
                        for row, source in zip(rows, sources, strict=True)
                        if (entry := taken(id(source), None)) is not None
                    ]
                )
        nullable = inner.kind is not Kind.NON_NULL
        element = inner if nullable else inner.inner
        assert element is not None
        built = from_rows(element, value, nullable, self.found)
        if built is not None:
            return built
        objects = value.objects()
        made = {id(row): made for row, made in zip(value.rows, objects, strict=True)}
        for batched, chain, rows, _ in by_rows:
            found = self.found.get(id(batched), {})
            for row in rows:
                entry = found.pop(id(row), None)
                target = _follow(made[id(row)], chain)
                if entry is not None and target is not None:
                    found[id(target)] = (target, entry[1])
        return self._items(field, inner, objects, path)

    async def _batch(self, field: FieldPlan, sources: list[Any], path: Chain) -> None:
        """Resolve ``field`` for every source at once; a source its permission check refuses
        gets the refusal, as its own resolver would."""
        direct = field.direct
        assert field.batch is not None and direct is not None
        found = self.found.setdefault(id(field), {})
        before = self._read_before.get(id(field))
        if before is not None:
            sources = self._found_before(sources, before, found)
            if not sources:
                return
        info, arguments = self._batch_call(field, path)
        allowed = sources
        if direct.guards:
            allowed = self._checked(direct, sources, info, arguments, found)
            if not allowed:
                return
        try:
            values = list(await field.batch(allowed, info, **arguments))
            if len(values) != len(allowed):
                raise RuntimeError(f"{field.parent_type.name}.{field.name}: batch answer size")
        except Exception as error:
            values = [error] * len(allowed)
        for source, value in zip(allowed, values, strict=True):
            found[id(source)] = (source, value)

    def _batch_call(self, field: FieldPlan, path: Chain) -> tuple[Any, dict[str, Any]]:
        """The Strawberry info and the arguments a batched field's resolver is called with
        (``path``: where its objects are)."""
        direct = field.direct
        assert direct is not None
        info = direct.info_class(
            _raw_info=self._info(field, (path, field.key, field.parent_type.name)),
            _field=direct.field,
        )
        return info, direct.own(self._arguments_of(field))

    @staticmethod
    def _found_before(
        sources: list[Any], before: dict[str, Any], found: dict[int, tuple[Any, Any]]
    ) -> list[Any]:
        """The sources whose value was not read ahead; each that was gets it in ``found``."""
        rest = []
        for source in sources:
            value = _read_before(before, source)
            if value is None:
                rest.append(source)
            else:
                found[id(source)] = (source, value[0])
        return rest

    def _read_ahead(self, field: FieldPlan, path: Chain) -> None:
        """Start the batches of the by-id fields of a root field's objects, for the ids its
        arguments name, before the objects are read (resolvers/batching.py): their reads go
        with the objects', and each object with one of those ids takes its value from there.
        A field whose permission check depends on the object waits for the object."""
        ahead = field.ahead
        assert ahead is not None and field.definition is not None
        given = get_argument_values(field.definition, field.nodes[0], self.variables)
        value = given.get(ahead.argument)
        ids: dict[str | None, dict[str, None]] = {}  # per type name, in order, once each
        if not ahead.representations:
            if type(value) is str:
                ids[None] = {value: None}
        elif type(value) is list:
            for representation in value:
                if type(representation) is dict and type(key := representation.get("id")) is str:
                    ids.setdefault(representation.get("__typename"), {})[key] = None
        known = {name: [_Known(key) for key in keys] for name, keys in ids.items()}
        for batched in ahead.fields:
            sources = known.get(batched.parent_type.name if ahead.representations else None)
            direct = batched.direct
            assert batched.batch is not None and direct is not None
            if not sources or (direct.guards and direct.checks_each_source):
                continue
            at = (path, 0, None) if ahead.representations else path
            info, arguments = self._batch_call(batched, at)
            if direct.guards:
                try:
                    direct.check(sources[0], info, arguments)
                except Exception:  # refused: the field's resolution reports it
                    continue
            self._ahead.append(
                asyncio.ensure_future(self._batch_ahead(batched, sources, info, arguments))
            )

    async def _batch_ahead(
        self, field: FieldPlan, sources: list[_Known], info: Any, arguments: dict[str, Any]
    ) -> None:
        assert field.batch is not None
        values = await field.batch(sources, info, **arguments)
        if len(values) == len(sources):
            answers = zip(sources, values, strict=True)
            self._read_before[id(field)] = {source.id: value for source, value in answers}

    async def _read_ahead_done(self) -> None:
        """Wait for the batches started ahead. A failed one is dropped: its field is resolved
        for its objects as if nothing had been read ahead, and meets the failure there."""
        if self._ahead:
            await asyncio.gather(*self._ahead, return_exceptions=True)

    @staticmethod
    def _checked(
        direct: DirectCall,
        sources: list[Any],
        info: Any,
        arguments: dict[str, Any],
        found: dict[int, tuple[Any, Any]],
    ) -> list[Any]:
        """The sources a batched field's permission check lets through; each refused one
        gets its refusal in ``found``. A check that does not depend on the object is made
        once for all of them."""
        if not direct.checks_each_source:
            try:
                direct.check(sources[0], info, arguments)
            except Exception as refusal:
                found.update((id(source), (source, refusal)) for source in sources)
                return []
            return sources
        allowed = []
        for source in sources:
            try:
                direct.check(source, info, arguments)
                allowed.append(source)
            except Exception as refusal:
                found[id(source)] = (source, refusal)
        return allowed

    def _batched(self, field: FieldPlan, source: Any) -> tuple[Any] | None:
        """The value a batch resolved for ``source``'s field (once), or read ahead for its
        id, if any."""
        entry = self.found.get(id(field), {}).pop(id(source), None)
        if entry is not None and entry[0] is source:
            return (entry[1],)
        before = self._read_before.get(id(field))
        return None if before is None else _read_before(before, source)

    def field_error(self, field: FieldPlan, error: Exception, path: Chain) -> Any:
        """Record ``error`` at the field; its value is null, and a non-null field makes its
        parent null."""
        self._record(field, error, path)
        if field.non_null:
            raise Null from None
        return None

    def _record(self, field: FieldPlan, error: Exception, path: Chain) -> None:
        located = located_error(error, field.nodes, _as_list(path))
        self.errors.append(with_code(located, self.context))

    def _arguments_of(self, field: FieldPlan) -> dict[str, Any]:
        """A field's coerced arguments: the same for every object in one execution (named
        as the resolver's parameters for a direct call)."""
        arguments = self._arguments.get(id(field))
        if arguments is None:
            assert field.definition is not None
            arguments = (
                get_argument_values(field.definition, field.nodes[0], self.variables)
                if field.definition.args
                else {}
            )
            if field.direct is not None:
                arguments = field.direct.arguments(arguments)
            self._arguments[id(field)] = arguments
        return arguments

    def _info(self, field: FieldPlan, path: Chain) -> GraphQLResolveInfo:
        assert field.type is not None and field.definition is not None
        return GraphQLResolveInfo(
            field.name,
            field.nodes,
            field.definition.type,
            field.parent_type,
            _as_path(path),  # type: ignore[arg-type]
            self.schema,
            self.compiled.fragments,
            None,
            self.compiled.operation,
            self.variables,
            self.context,
            is_awaitable,
            None,
            _HELPERS,
        )
