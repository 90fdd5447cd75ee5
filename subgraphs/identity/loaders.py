"""Batched reads of the identity tables, always within the request's tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import Select, select

from resolvers.columns import Columns
from resolvers.loaders import (
    BatchLoader,
    ColumnLoader,
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


class _AcrossMembership(ColumnLoader[uuid.UUID, list[Any]]):
    """Rows of `table` on the other side of team membership from each key, by name: the
    key is the membership's `via` column, the table joined through its `other` column."""

    via: ClassVar[str]
    other: ClassVar[str]

    @classmethod
    def required(cls) -> tuple[str, ...]:
        return ("id",)

    @classmethod
    def build_statement(cls, columns: list[Any]) -> Select[Any]:
        via = getattr(tables.TeamMember, cls.via)
        return (
            select(via.label("membership_key"), *columns)
            .join(cls.table, cls.table.id == getattr(tables.TeamMember, cls.other))
            .where(within_tenant(tables.TeamMember.tenant_id), in_keys(via))
            .order_by(cls.table.name, cls.table.id)
        )

    async def load_columns(self, keys: Sequence[uuid.UUID], columns: Columns) -> list[list[Any]]:
        rows = await self.context.db.rows(self.statement(columns), self.batch_parameters(keys))
        return many_per_key(rows, keys, lambda row: row.membership_key)


class MembersByTeamIdLoader(_AcrossMembership):
    """Users of each team, by name."""

    via, other, table = "team_id", "user_id", tables.User


class TeamsByUserIdLoader(_AcrossMembership):
    """Teams of each user, by name."""

    via, other, table = "user_id", "team_id", tables.Team


class CustomRolesLoader(BatchLoader[uuid.UUID, dict[str, frozenset[str]]]):
    """The request tenant's own roles (name → the permissions each grants), keyed by tenant:
    read once per request however many users' permissions are shown."""

    async def batch_load_fn(self, keys: list[uuid.UUID]) -> list[dict[str, frozenset[str]]]:
        rows = await self.context.db.rows(
            select(tables.Role.name, tables.Role.permissions).where(
                tables.Role.tenant_id == self.context.tenant_id
            )
        )
        roles = {row.name: frozenset(row.permissions) for row in rows}
        return [roles for _ in keys]
