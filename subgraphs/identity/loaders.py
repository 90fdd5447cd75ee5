"""Batched reads of the identity tables, always within the request's tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import select

from resolvers.loaders import (
    BatchLoader,
    BatchStatement,
    RowByKeyLoader,
    in_keys,
    many_per_key,
    within_tenant,
)
from subgraphs.identity import tables


class UserByIdLoader(RowByKeyLoader[uuid.UUID]):
    table = tables.User


class TeamByIdLoader(RowByKeyLoader[uuid.UUID]):
    table = tables.Team


class _AcrossMembership(BatchStatement, BatchLoader[uuid.UUID, list[Any]]):
    """Rows of `target` on the other side of team membership from each key, by name: the
    key is the membership's `key` column, the target joined through its `other` column."""

    key: ClassVar[str]
    other: ClassVar[str]
    target: ClassVar[Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        key = getattr(tables.TeamMember, cls.key)
        cls.statement = (
            select(key.label("membership_key"), cls.target.__table__)
            .join(cls.target, cls.target.id == getattr(tables.TeamMember, cls.other))
            .where(within_tenant(tables.TeamMember.tenant_id), in_keys(key))
            .order_by(cls.target.name, cls.target.id)
        )

    async def load_batch(self, keys: Sequence[uuid.UUID]) -> list[list[Any]]:
        rows = await self.context.db.rows(self.statement, self.batch_parameters(keys))
        return many_per_key(rows, keys, lambda row: row.membership_key)


class MembersByTeamIdLoader(_AcrossMembership):
    """Users of each team, by name."""

    key, other, target = "team_id", "user_id", tables.User


class TeamsByUserIdLoader(_AcrossMembership):
    """Teams of each user, by name."""

    key, other, target = "user_id", "team_id", tables.Team
