"""Per-request batched loaders.

Every read of a row by key and every one-to-many read goes through a `BatchLoader` subclass
named `<Target>By<Key>Loader`. The registry hands out one instance per class per request, so
all resolvers of a request (and all subgraph fetches the router runs in-process for it) share
one batch; a loader never outlives its request, so its cache cannot serve one user's rows to
another."""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, Select, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY

from resolvers.ids import try_parse_id

if TYPE_CHECKING:
    from resolvers.context import Context

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
L = TypeVar("L", bound="BatchLoader[Any, Any]")


class BatchLoader(DataLoader, Generic[K, V]):  # type: ignore[type-arg]
    """A DataLoader bound to one request's context. Subclasses implement `load_batch`."""

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, keys: list[K]) -> list[V]:
        return await self.load_batch(keys)

    async def read_many(self, keys: Sequence[K]) -> list[V]:
        """The values of many keys one caller needs together (``_entities``): what is not
        cached yet is read at once in one ``load_batch`` and cached, without the pending
        future, callback and event-loop turn per key that ``load_many`` costs."""
        cache_key = self.get_cache_key
        missing = [key for key in dict.fromkeys(keys) if cache_key(key) not in self._cache]
        if missing:
            for key, value in zip(missing, await self.load_batch(missing), strict=True):
                self.prime(key, value)
        return [await self._cache[cache_key(key)] for key in keys]

    async def load_batch(self, keys: Sequence[K]) -> list[V]:
        raise NotImplementedError


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


class BatchStatement:
    """A loader's SELECT, built once per loader class, run with ``batch_parameters``.

    Built per batch, a statement would cost its construction and leave cyclic garbage (a
    bound parameter and its comparator refer to each other) holding the batch's keys."""

    statement: ClassVar[Select[Any]]
    context: Context  # the loader's (a BatchStatement is mixed into a BatchLoader)

    def batch_parameters(self, keys: Sequence[Any]) -> dict[str, Any]:
        return {TENANT: self.context.tenant_id, KEYS: list(keys)}


class RowByKeyLoader(BatchStatement, BatchLoader[K, Any]):
    """Rows of `table` whose unique `key` column matches, within the request's tenant.

    Reads select the Core table, not the mapped class: plain rows cost a fraction of ORM
    objects, and nothing on a read path needs identity-map bookkeeping."""

    table: ClassVar[Any]
    key: ClassVar[str] = "id"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.statement = select(cls.table.__table__).where(
            within_tenant(cls.table.tenant_id), in_keys(getattr(cls.table, cls.key))
        )

    async def load_batch(self, keys: Sequence[K]) -> list[Any]:
        rows = await self.context.db.rows(self.statement, self.batch_parameters(keys))
        return one_per_key(rows, keys, lambda row: getattr(row, self.key))


class RowsByKeyLoader(BatchStatement, BatchLoader[K, list[Any]]):
    """All rows of `table` per value of its `key` column (a one-to-many read), in `order`."""

    table: ClassVar[Any]
    key: ClassVar[str]
    order: ClassVar[tuple[str, ...]] = ("created_at", "id")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.statement = (
            select(cls.table.__table__)
            .where(within_tenant(cls.table.tenant_id), in_keys(getattr(cls.table, cls.key)))
            .order_by(*(getattr(cls.table, name) for name in cls.order))
        )

    async def load_batch(self, keys: Sequence[K]) -> list[list[Any]]:
        rows = await self.context.db.rows(self.statement, self.batch_parameters(keys))
        return many_per_key(rows, keys, lambda row: getattr(row, self.key))


# The bound parameters of every batch statement: the request's tenant and the batch's keys.
TENANT, KEYS = "tenant", "keys"


def within_tenant(column: Any) -> ColumnElement[bool]:
    return column == bindparam(TENANT)  # type: ignore[no-any-return]


def in_keys(column: Any) -> ColumnElement[bool]:
    """``column = ANY(:keys)`` with the keys as one array parameter: the same SQL text for
    any number of keys, so SQLAlchemy's compiled cache and asyncpg's prepared statements are
    reused (``IN (...)`` renders a different statement for every batch size)."""
    return column == any_(bindparam(KEYS, type_=ARRAY(column.type)))


async def load_by_id(
    context: Context, loader: type[RowByKeyLoader[Any]], raw_id: object
) -> Any | None:
    """The row with a client-supplied id, or None (also for an id that is not a UUID)."""
    key = try_parse_id(raw_id)
    return await context.loaders.get(loader).load(key) if key is not None else None


async def load_by_ids(
    context: Context, loader: type[RowByKeyLoader[Any]], raw_ids: Sequence[object]
) -> list[Any | None]:
    """The rows with client-supplied ids, positionally (None where none matches), in one
    batch."""
    keys = [try_parse_id(raw_id) for raw_id in raw_ids]
    valid = [key for key in keys if key is not None]
    rows = iter(await context.loaders.get(loader).read_many(valid) if valid else ())
    return [next(rows) if key is not None else None for key in keys]


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
