"""Per-request batched loaders.

Every read of a row by key and every one-to-many read goes through a `BatchLoader` subclass
named `<Target>By<Key>Loader`. The registry hands out one instance per class per request, so
all resolvers of a request (and all subgraph fetches the router runs in-process for it) share
one batch; a loader never outlives its request, so its cache cannot serve one user's rows to
another."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from aiodataloader import DataLoader

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

    async def load_batch(self, keys: Sequence[K]) -> list[V]:
        raise NotImplementedError


class LoaderRegistry:
    """One loader instance per loader class, created on first use."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._loaders: dict[type[Any], Any] = {}

    def get(self, loader_class: type[L]) -> L:
        loader = self._loaders.get(loader_class)
        if loader is None:
            loader = self._loaders[loader_class] = loader_class(self._context)
        return loader  # type: ignore[no-any-return]


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
