"""What authentication asks the identity domain: is a token's user active, which roles has the
tenant defined, which user does a development token name; and what work done on a user's behalf
without a request asks (a webhook delivery): the user's current roles. Each is one read in the
tenant's database scope, as whichever role the caller's scope connects as (the authenticator
reads as the application role behind the tenant's wall)."""

from __future__ import annotations

import uuid

from sqlalchemy import any_, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.scope import RequestDatabase
from resolvers.principal import CustomRoles, UserGrants
from subgraphs.identity import events, tables


class UserDirectory:
    user_entity = events.USER
    role_entity = events.ROLE

    async def user_active(self, db: RequestDatabase, user_id: uuid.UUID) -> bool | None:
        rows = await db.rows(
            select(tables.User.active).where(
                tables.User.tenant_id == db.tenant_id, tables.User.id == user_id
            )
        )
        return rows[0].active if rows else None

    async def custom_roles(self, db: RequestDatabase) -> CustomRoles:
        rows = await db.rows(
            select(tables.Role.name, tables.Role.permissions).where(
                tables.Role.tenant_id == db.tenant_id
            )
        )
        return {row.name: frozenset(row.permissions) for row in rows}

    async def find_user(
        self, db: RequestDatabase, email: str | None, role: str
    ) -> tuple[uuid.UUID, str] | None:
        query = select(tables.User.id, tables.User.email).where(
            tables.User.tenant_id == db.tenant_id
        )
        if email is None:
            query = query.where(literal(role) == any_(tables.User.roles)).order_by(tables.User.name)
        else:
            query = query.where(tables.User.email == email)
        rows = await db.rows(query.limit(1))
        return (rows[0].id, rows[0].email) if rows else None

    async def user_grants(
        self, session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
    ) -> UserGrants | None:
        user = (
            await session.execute(
                select(tables.User.active, tables.User.roles).where(
                    tables.User.tenant_id == tenant_id, tables.User.id == user_id
                )
            )
        ).one_or_none()
        if user is None:
            return None
        roles = frozenset(user.roles)
        custom = await session.execute(
            select(tables.Role.name, tables.Role.permissions).where(
                tables.Role.tenant_id == tenant_id, tables.Role.name.in_(roles)
            )
        )
        return UserGrants(
            active=user.active,
            roles=roles,
            custom={row.name: frozenset(row.permissions) for row in custom},
        )
