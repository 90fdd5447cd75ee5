"""Per-request batched loaders.

Every read of a row by key and every one-to-many read goes through a `BatchLoader` subclass
named `<Target>By<Key>Loader`. The registry hands out one instance per class per request, so
all resolvers of a request (and all subgraph fetches the router runs in-process for it) share
one batch; a loader never outlives its request, so its cache cannot serve one user's rows to
another."""

from __future__ import annotations

import operator
import weakref
from collections import defaultdict
from collections.abc import Callable, Generator, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, Integer, Select, any_, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY

from resolvers.columns import Columns, chosen_columns
from resolvers.ids import try_parse_id, try_parse_ids

if TYPE_CHECKING:
    from resolvers.context import Context

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
L = TypeVar("L", bound="BatchLoader[Any, Any]")


class BatchLoader(DataLoader, Generic[K, V]):  # type: ignore[type-arg]
    """A DataLoader bound to one request's context (subclasses: ``ColumnLoader``)."""

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context


class LoaderRegistry:
    """One loader instance per loader class, created on first use.

    Loaders refer to their context, which refers to this registry: ``clear()`` at the end of
    a request breaks that cycle, so everything the loaders cached (rows, futures) is freed
    at once by reference counting instead of waiting for the cyclic garbage collector (the
    registry itself refers to its context only weakly)."""

    def __init__(self, context: Context) -> None:
        self._context = weakref.ref(context)
        self._loaders: dict[type[Any], Any] = {}

    def get(self, loader_class: type[L]) -> L:
        loader = self._loaders.get(loader_class)
        if loader is None:
            context = self._context()
            assert context is not None, "a loader asked for after its request ended"
            loader = self._loaders[loader_class] = loader_class(context)
        return loader  # type: ignore[no-any-return]

    def clear(self) -> None:
        """Forget every loader and what it cached; the next ``get`` starts afresh."""
        self._loaders.clear()


class ColumnLoader(BatchLoader[K, V]):
    """A loader of rows of `table` holding only the columns its callers ask for
    (``resolvers.columns``): one statement per column set, built once per loader class
    (so one prepared statement each). Built per batch, a statement would cost its
    construction and leave cyclic garbage (a bound parameter and its comparator refer to
    each other) holding the batch's keys.

    The columns of a batch are the union of those its keys were asked with; a key cached
    with fewer columns than a later caller asks for is read again. ``load`` and ``prime``
    without columns mean every column (what mutations prime is a whole row)."""

    table: ClassVar[Any]
    key: ClassVar[str] = "id"
    _statements: ClassVar[dict[Columns, Select[Any]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._statements = {}

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self._asked: dict[Hashable, set[str] | None] = {}  # queued keys: columns to read
        self._read: dict[Hashable, Columns] = {}  # cached keys: the columns read

    @classmethod
    def build_statement(cls, columns: list[Any]) -> Select[Any]:
        """The batch's SELECT of ``columns`` (run with ``batch_parameters``)."""
        raise NotImplementedError

    @classmethod
    def required(cls) -> tuple[str, ...]:
        """Columns the loader itself reads from every row (its key)."""
        return (cls.key,)

    @classmethod
    def scope(cls) -> tuple[ColumnElement[bool], ...]:
        """Conditions every row read must meet besides the tenant and the key (a loader of
        the rows a caller may see, e.g. comments without work notes)."""
        return ()

    def statement(self, columns: Columns) -> Select[Any]:
        statement = self._statements.get(columns)
        if statement is None:
            wanted = None if columns is None else columns.union(self.required())
            chosen = chosen_columns(self.table, wanted)
            statement = self._statements[columns] = self.build_statement(chosen)
        return statement

    def batch_parameters(self, keys: Sequence[Any]) -> dict[str, Any]:
        return {TENANT: self.context.tenant_id, KEYS: list(keys)}

    def load(self, key: K, columns: Columns = None) -> Any:
        """The value of ``key``, read with at least ``columns``."""
        cache_key = self.get_cache_key(key)
        if self._cached(key, cache_key, columns):
            return self._cache[cache_key]
        self._asked[cache_key] = None if columns is None else set(columns)
        return super().load(key)

    def _cached(self, key: K, found: Hashable, columns: Columns) -> bool:
        """Whether the cached value of ``key`` has (or, still queued, will have) at least
        ``columns``; a cached value with fewer is forgotten."""
        if found not in self._cache:
            return False
        if found in self._asked:  # still queued: its batch reads these too
            self._asked[found] = _union(self._asked[found], columns)
            return True
        if _covers(self._read.get(found), columns):
            return True
        self.clear(key)
        return False

    async def batch_load_fn(self, keys: list[K]) -> list[V]:
        columns: set[str] | None = set()
        for key in keys:
            columns = _union(columns, self._asked.pop(self.get_cache_key(key), None))
        read = None if columns is None else frozenset(columns)
        for key in keys:
            self._read[self.get_cache_key(key)] = read
        return await self.load_columns(keys, read)

    @staticmethod
    def get_cache_key(key: K) -> K:
        """A key is its own cache key (ids, tuples of them): ``read_many`` relies on it."""
        return key

    async def read_many(self, keys: Sequence[K], columns: Columns = None) -> list[V]:
        """The values of many keys one caller needs together (``_entities``), with at least
        ``columns``: what is not cached yet is read at once in one ``load_columns`` and
        cached, without the pending future, callback and event-loop turn per key that
        ``load_many`` costs (nor even a done future: a ``_Read``)."""
        cache = self._cache
        missing = [
            key
            for key in dict.fromkeys(keys)
            if key not in cache or not self._cached(key, key, columns)
        ]
        if not missing:
            return [await cache[key] for key in keys]
        values = await self.load_columns(missing, columns)
        # What was just read replaces what another read of the key cached meanwhile: the
        # columns recorded must be those of the value cached.
        cache.update(zip(missing, map(_Read, zip(values)), strict=True))  # type: ignore[arg-type]  # awaited, as a future
        self._read.update(dict.fromkeys(missing, columns))
        if len(missing) == len(keys):  # every key new, each once: the values are in order
            return values
        read = dict(zip(missing, values, strict=True))
        return [read[key] if key in read else await cache[key] for key in keys]

    async def load_columns(self, keys: Sequence[K], columns: Columns) -> list[V]:
        """The values of ``keys``, read with ``columns`` (None: all)."""
        raise NotImplementedError

    def prime(self, key: K, value: V) -> Any:
        found = self.get_cache_key(key)
        if found not in self._cache:
            self._read[found] = None
        return super().prime(key, value)

    def clear(self, key: K) -> Any:
        found = self.get_cache_key(key)
        self._read.pop(found, None)
        self._asked.pop(found, None)
        return super().clear(key)


class _Read(tuple[V]):
    """A value ``read_many`` cached, as the 1-tuple ``(value,)``: awaited like the future
    ``load`` caches, at once, and cheaper to make than a future or an object with an
    ``__init__`` (made in C from ``zip(values)``: a blast radius caches thousands)."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, V]:
        yield from ()
        return self[0]


def _union(columns: set[str] | None, more: Iterable[str] | None) -> set[str] | None:
    if columns is None or more is None:
        return None
    columns.update(more)
    return columns


def _covers(read: Columns, wanted: Columns) -> bool:
    return read is None or (wanted is not None and wanted <= read)


class RowByKeyLoader(ColumnLoader[K, Any]):
    """Rows of `table` whose unique `key` column matches, within the request's tenant.

    Reads select the Core table, not the mapped class: plain rows cost a fraction of ORM
    objects, and nothing on a read path needs identity-map bookkeeping."""

    @classmethod
    def build_statement(cls, columns: list[Any]) -> Select[Any]:
        return select(*columns).where(
            within_tenant(cls.table.tenant_id), in_keys(getattr(cls.table, cls.key))
        )

    async def load_columns(self, keys: Sequence[K], columns: Columns) -> list[Any]:
        rows = await self.context.db.rows(self.statement(columns), self.batch_parameters(keys))
        return one_per_key(rows, keys, operator.attrgetter(self.key))


class RowsByKeyLoader(ColumnLoader[K, list[Any]]):
    """All rows of `table` per value of its `key` column (a one-to-many read), in `order`."""

    order: ClassVar[tuple[str, ...]] = ("created_at", "id")

    @classmethod
    def required(cls) -> tuple[str, ...]:
        return (cls.key, *cls.order)

    @classmethod
    def build_statement(cls, columns: list[Any]) -> Select[Any]:
        return (
            select(*columns)
            .where(
                within_tenant(cls.table.tenant_id),
                in_keys(getattr(cls.table, cls.key)),
                *cls.scope(),
            )
            .order_by(*(getattr(cls.table, name) for name in cls.order))
        )

    async def load_columns(self, keys: Sequence[K], columns: Columns) -> list[list[Any]]:
        rows = await self.context.db.rows(self.statement(columns), self.batch_parameters(keys))
        return many_per_key(rows, keys, operator.attrgetter(self.key))


class FirstRowsByKeyLoader(ColumnLoader[tuple[K, int], list[Any]]):
    """The first `n` rows of `table` in `order` per value of its `key` column, in that
    order, for keys ``(value, n)`` (the last `n` with `from_end`): the database reads `n`
    rows per value (one index range scan each, through a lateral join), not all of them.
    Values and sizes of one batch are two arrays, so keys with any sizes share one
    statement."""

    order: ClassVar[tuple[str, ...]] = ("created_at", "id")
    from_end: ClassVar[bool] = False

    @classmethod
    def required(cls) -> tuple[str, ...]:
        return (cls.key, *cls.order)

    @classmethod
    def build_statement(cls, columns: list[Any]) -> Select[Any]:
        key = getattr(cls.table, cls.key)
        batch = (
            func.unnest(
                bindparam(KEYS, type_=ARRAY(key.type)), bindparam(SIZES, type_=ARRAY(Integer()))
            )
            .table_valued("value", "size")
            .render_derived(name="batch")
        )
        order = [getattr(cls.table, name) for name in cls.order]
        end = (
            select(*columns)
            .where(within_tenant(cls.table.tenant_id), key == batch.c.value, *cls.scope())
            .order_by(*(column.desc() if cls.from_end else column for column in order))
            .limit(batch.c.size)
            .lateral("end_rows")
        )
        return (
            select(batch.c.size.label(BATCH_SIZE), end)
            .select_from(batch)
            .join(end, true())
            .order_by(*(end.c[name] for name in cls.order))
        )

    def batch_parameters(self, keys: Sequence[Any]) -> dict[str, Any]:
        return {
            TENANT: self.context.tenant_id,
            KEYS: [value for value, _ in keys],
            SIZES: [size for _, size in keys],
        }

    async def load_columns(
        self, keys: Sequence[tuple[K, int]], columns: Columns
    ) -> list[list[Any]]:
        rows = await self.context.db.rows(self.statement(columns), self.batch_parameters(keys))
        return many_per_key(rows, keys, operator.attrgetter(self.key, BATCH_SIZE))


class LastRowsByKeyLoader(FirstRowsByKeyLoader[K]):
    """The last `n` rows per value, in `order` (FirstRowsByKeyLoader)."""

    from_end = True


# The bound parameters of every batch statement: the request's tenant and the batch's keys
# (and, for FirstRowsByKeyLoader, how many rows of each).
TENANT, KEYS, SIZES = "tenant", "keys", "sizes"
BATCH_SIZE = "batch_size"


def within_tenant(column: Any) -> ColumnElement[bool]:
    return column == bindparam(TENANT)  # type: ignore[no-any-return]


def in_keys(column: Any) -> ColumnElement[bool]:
    """``column = ANY(:keys)`` with the keys as one array parameter: the same SQL text for
    any number of keys, so SQLAlchemy's compiled cache and asyncpg's prepared statements are
    reused (``IN (...)`` renders a different statement for every batch size)."""
    return column == any_(bindparam(KEYS, type_=ARRAY(column.type)))


async def load_by_id(
    context: Context,
    loader: type[RowByKeyLoader[Any]],
    raw_id: object,
    columns: Columns = None,
) -> Any | None:
    """The row with a client-supplied id (at least ``columns`` of it), or None (also for
    an id that is not a UUID)."""
    key = try_parse_id(raw_id)
    return await context.loaders.get(loader).load(key, columns) if key is not None else None


async def load_by_ids(
    context: Context,
    loader: type[RowByKeyLoader[Any]],
    raw_ids: Sequence[object],
    columns: Columns = None,
) -> list[Any | None]:
    """The rows with client-supplied ids (at least ``columns`` of them), positionally (None
    where none matches), in one batch."""
    keys = try_parse_ids(raw_ids)
    valid = [key for key in keys if key is not None]
    rows = iter(await context.loaders.get(loader).read_many(valid, columns) if valid else ())
    return [next(rows) if key is not None else None for key in keys]


async def rows_per_object(
    context: Context,
    loader: type[ColumnLoader[Any, list[Any]]],
    objects: Sequence[Any],
    columns: Columns = None,
) -> list[list[Any]]:
    """Per object, the rows ``loader`` holds for its ``id`` (at least ``columns`` of them):
    a by-id batch resolver's read (resolvers/batching.py), in one batch."""
    keys = try_parse_ids([one.id for one in objects])
    return await context.loaders.get(loader).read_many(keys, columns)


def one_per_key(rows: Iterable[V], keys: Sequence[K], key: Callable[[V], K]) -> list[V | None]:
    """Rows in the order of `keys` (missing → None): DataLoader and `_entities` are positional."""
    by_key = {key(row): row for row in rows}
    return [by_key.get(k) for k in keys]


def many_per_key(rows: Iterable[V], keys: Sequence[K], key: Callable[[V], K]) -> list[list[V]]:
    """Rows grouped per key in the order of `keys`, keeping the rows' own order in a group."""
    groups: defaultdict[K, list[V]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [groups.get(k, []) for k in keys]
