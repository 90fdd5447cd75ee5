"""The tenants' own roles as the authenticator needs them, cached briefly per tenant.

Building a principal whose token names a role that is not built-in needs the tenant's role
definitions (read from the user directory's domain). They are read once per tenant and kept for
`ttl_seconds`; a mutation that changes a role in this process drops its tenant's entry at once
(through the request context's `roles_changed`), and every process drops it when the role's
event reaches its event hub (`observe`; across processes through Redis). The expiry bounds
what a lost event could leave stale. Tokens with built-in roles only never reach this cache."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from resolvers.events import Event
from resolvers.principal import CustomRoles

RoleLoader = Callable[[uuid.UUID], Awaitable[CustomRoles]]
DEFAULT_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class _Cached:
    roles: CustomRoles
    expires: float


class CustomRoleCache:
    def __init__(
        self,
        load: RoleLoader,
        *,
        role_entity: str,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self.role_entity = role_entity
        self._ttl = ttl_seconds
        self._clock = clock
        self._cached: dict[uuid.UUID, _Cached] = {}
        # Bumped by forget(): a load that began before a change must not cache what it read.
        self._generation: dict[uuid.UUID, int] = {}

    async def get(self, tenant_id: uuid.UUID) -> CustomRoles:
        cached = self._cached.get(tenant_id)
        if cached is not None and cached.expires > self._clock():
            return cached.roles
        generation = self._generation.get(tenant_id, 0)
        roles = await self._load(tenant_id)
        if self._generation.get(tenant_id, 0) == generation:
            self._cached[tenant_id] = _Cached(roles, self._clock() + self._ttl)
        return roles

    def forget(self, tenant_id: uuid.UUID) -> None:
        self._cached.pop(tenant_id, None)
        self._generation[tenant_id] = self._generation.get(tenant_id, 0) + 1

    def observe(self, event: Event) -> None:
        """An event hub observer: any event of a role (`role_entity`, the entity type the
        user directory's domain records roles under) drops its tenant's entry."""
        if event.entity_type == self.role_entity:
            self.forget(event.tenant_id)
