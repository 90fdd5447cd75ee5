"""The per-request context every resolver receives as `info.context`."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.scope import RequestDatabase
from resolvers.events import EventFeed
from resolvers.loaders import LoaderRegistry
from resolvers.manifests import ApiSchema
from resolvers.principal import Principal

if TYPE_CHECKING:
    from resolvers.references import EntityPresence


@dataclass(eq=False)
class Context:
    """Who asks (the principal: tenant, user, permissions), the request's database scope and
    its loaders.

    `headers` are the caller's HTTP headers; the router forwards the identity ones when it
    calls a subgraph over HTTP. `events` feeds subscriptions (absent where nothing delivers
    events). A subscription's context lives as long as its WebSocket connection: each event
    is handled with fresh loaders and database scope (`end_event`).
    `roles_changed(tenant)` is called after a mutation changed the tenant's own roles, so that
    the process drops what it cached of them; `user_changed(tenant, user)` likewise after a
    mutation changed a user (the authenticator caches whether a user is active).
    `api_schema` is the composed API schema, as data (`resolvers.manifests.document_problems`
    checks a document against it): a subgraph cannot see the supergraph, so the router
    process hands it down for the mutations that register persisted operations; it is None
    where no supergraph is at hand.
    `entity_presence` answers which ids name another subgraph's entities, asked of their
    owner through the router (`resolvers.references.require_references`); None likewise."""

    principal: Principal
    db: RequestDatabase
    request_id: str
    headers: Mapping[str, str] = field(default_factory=dict)
    debug: bool = False
    events: EventFeed | None = None
    roles_changed: Callable[[uuid.UUID], None] = field(default=lambda tenant: None)
    """Default: nothing cached to drop (contexts built by tests and tools)."""
    user_changed: Callable[[uuid.UUID, uuid.UUID], None] = field(default=lambda tenant, user: None)
    api_schema: ApiSchema | None = None
    entity_presence: EntityPresence | None = None
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
        events: EventFeed | None = None,
        roles_changed: Callable[[uuid.UUID], None] = lambda tenant: None,
        user_changed: Callable[[uuid.UUID, uuid.UUID], None] = lambda tenant, user: None,
        api_schema: ApiSchema | None = None,
        entity_presence: EntityPresence | None = None,
    ) -> Context:
        return cls(
            principal=principal,
            db=RequestDatabase(sessions, principal.tenant_id),
            request_id=request_id or uuid.uuid4().hex,
            headers=headers or {},
            debug=debug,
            events=events,
            roles_changed=roles_changed,
            user_changed=user_changed,
            api_schema=api_schema,
            entity_presence=entity_presence,
        )

    @property
    def sharing_key(self) -> Hashable:
        """Contexts with equal keys see exactly the same data, so identical subscriptions of
        theirs may share one execution (router/subscriptions.py)."""
        principal = self.principal
        return (principal.tenant_id, principal.subject, principal.permissions)

    def reads_one_snapshot(self) -> None:
        """The request is a query: its reads see the database as one snapshot, so that its
        fetches agree (a page's count with its edges, an entity with the list naming it)
        however many statements they take, whatever commits meanwhile (db/scope.py)."""
        self.db.snapshot = True

    async def end_event(self) -> None:
        """Release the database connection and forget what the loaders cached: the next
        event of a subscription must read what is current, the next operation on the same
        WebSocket (a mutation, say) reads as its own kind does."""
        await self.db.close()
        self.db.snapshot = False
        self.loaders.clear()

    async def close(self) -> None:
        await self.db.close()
        self.loaders.clear()
