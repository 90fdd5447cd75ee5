"""Entity references resolved in batches: `_entities` hands every representation of one type
to one `resolve_references` call (one loader batch, no coroutine per representation)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self

import strawberry

from resolvers.loaders import RowByKeyLoader, load_by_ids
from resolvers.permissions import check


class ReferencedById:
    """An entity keyed by `id`, read with `reference_loader` under `reference_permission`.

    `resolve_references` answers positionally, None where no row matches (a malformed id
    included); `resolve_reference` is the same for one id, for `user(id:)`-style fields."""

    reference_permission: ClassVar[str]
    reference_loader: ClassVar[type[RowByKeyLoader[Any]]]

    if TYPE_CHECKING:

        @classmethod
        def from_row(cls, row: Any) -> Self: ...

    @classmethod
    async def resolve_references(
        cls, info: strawberry.Info, representations: Sequence[Mapping[str, Any]]
    ) -> list[Self | None]:
        check(info.context.principal, cls.reference_permission)
        rows = await load_by_ids(
            info.context, cls.reference_loader, [r.get("id") for r in representations]
        )
        return [cls.from_row(row) if row is not None else None for row in rows]

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, id: strawberry.ID) -> Self | None:
        return (await cls.resolve_references(info, [{"id": id}]))[0]
