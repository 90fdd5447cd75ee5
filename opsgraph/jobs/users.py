"""What a job asks of the user directory: a user's access now (`Job.users`).

The registry's user directory (the one domain that owns users, `Domain.directory`) answers
from its own tables in the job's transaction; its roles become permissions through the
registry's role catalogue, as a token's do (the tenant's own roles included). Domains running
jobs never read the directory's tables themselves."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from opsgraph.domains import REGISTRY, Registry
from resolvers.jobs import UserAccess, UserLookup


def directory_users(registry: Registry = REGISTRY) -> UserLookup:
    async def lookup(
        session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
    ) -> UserAccess | None:
        grants = await registry.directory.user_grants(session, tenant_id, user_id)
        if grants is None:
            return None
        permissions = registry.roles.permissions_for(grants.roles, grants.custom)
        return UserAccess(active=grants.active, permissions=permissions)

    return lookup
