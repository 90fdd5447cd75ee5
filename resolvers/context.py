"""The per-request context every resolver receives as `info.context`."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.scope import RequestDatabase
from resolvers.loaders import LoaderRegistry
from resolvers.principal import Principal


@dataclass(eq=False)
class Context:
    """Who asks (the principal: tenant, user, permissions), the request's database scope and
    its loaders.

    `headers` are the caller's HTTP headers; the router forwards the identity ones when it
    calls a subgraph over HTTP. `roles_changed(tenant)` is called after a mutation changed the
    tenant's own roles, so that the process drops what it cached of them."""

    principal: Principal
    db: RequestDatabase
    request_id: str
    headers: Mapping[str, str] = field(default_factory=dict)
    debug: bool = False
    roles_changed: Callable[[uuid.UUID], None] = field(default=lambda tenant: None)
    """Default: nothing cached to drop (contexts built by tests and tools)."""
    loaders: LoaderRegistry = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = LoaderRegistry(self)

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.principal.tenant_id

    @property
    def actor_id(self) -> uuid.UUID | None:
        """The acting user, recorded as author and actor of what this request changes."""
        return self.principal.user_id

    @classmethod
    def open(
        cls,
        sessions: async_sessionmaker[AsyncSession],
        *,
        principal: Principal,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        debug: bool = False,
        roles_changed: Callable[[uuid.UUID], None] = lambda tenant: None,
    ) -> Context:
        return cls(
            principal=principal,
            db=RequestDatabase(sessions, principal.tenant_id),
            request_id=request_id or uuid.uuid4().hex,
            headers=headers or {},
            debug=debug,
            roles_changed=roles_changed,
        )

    async def close(self) -> None:
        await self.db.close()
