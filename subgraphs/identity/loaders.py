"""Batched reads of the identity tables, always within the request's tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from db.tables import identity as tables
from resolvers.loaders import (
    BatchLoader,
    BatchStatement,
    RowByKeyLoader,
    in_keys,
    many_per_key,
    within_tenant,
)


class UserByIdLoader(RowByKeyLoader[uuid.UUID]):
    table = tables.User


class TeamByIdLoader(RowByKeyLoader[uuid.UUID]):
    table = tables.Team


class MembersByTeamIdLoader(BatchStatement, BatchLoader[uuid.UUID, list[Any]]):
    """Users of each team, by name."""

    statement = (
        select(tables.TeamMember.team_id.label("member_of"), tables.User.__table__)
        .join(tables.User, tables.User.id == tables.TeamMember.user_id)
        .where(within_tenant(tables.TeamMember.tenant_id), in_keys(tables.TeamMember.team_id))
        .order_by(tables.User.name, tables.User.id)
    )

    async def load_batch(self, keys: Sequence[uuid.UUID]) -> list[list[Any]]:
        rows = await self.context.db.rows(self.statement, self.batch_parameters(keys))
        return many_per_key(rows, keys, lambda r: r.member_of)


class TeamsByUserIdLoader(BatchStatement, BatchLoader[uuid.UUID, list[Any]]):
    """Teams of each user, by name."""

    statement = (
        select(tables.TeamMember.user_id.label("member"), tables.Team.__table__)
        .join(tables.Team, tables.Team.id == tables.TeamMember.team_id)
        .where(within_tenant(tables.TeamMember.tenant_id), in_keys(tables.TeamMember.user_id))
        .order_by(tables.Team.name, tables.Team.id)
    )

    async def load_batch(self, keys: Sequence[uuid.UUID]) -> list[list[Any]]:
        rows = await self.context.db.rows(self.statement, self.batch_parameters(keys))
        return many_per_key(rows, keys, lambda r: r.member)
