"""What a domain declares about itself: the manifest each `subgraphs/<domain>/` package exports
as `DOMAIN`. The registry (`opsgraph/domains.py`) lists the manifests and derives everything
else from them: migrations, role grants, demo data, schema files, the split deployment."""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import strawberry
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute
from starlette.requests import Request
from starlette.responses import Response

from db.scope import RequestDatabase
from resolvers.consumers import EventConsumer
from resolvers.jobs import JobKind
from resolvers.principal import CustomRoles, UserGrants


@dataclass
class DemoTenant:
    """The demo tenant being seeded, handed to each domain's seed in registry order.

    `random` is shared, so the data is one deterministic sequence; `entities` holds what earlier
    domains seeded, by entity type, for later ones to reference by id (the incidents seed
    assigns its incidents to the users and teams identity seeded), as entity references do."""

    tenant_id: uuid.UUID
    random: random.Random
    now: datetime
    scale: int
    """How many of a domain's principal records to make (e.g. incidents)."""
    entities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


DemoSeed = Callable[[AsyncSession, DemoTenant], Awaitable[None]]


class PrincipalDirectory(Protocol):
    """What authentication needs to know of users, from the domain that owns them."""

    user_entity: str
    """The entity type under which the domain records users' events (a user's cached state
    is read again after each)."""
    role_entity: str
    """Likewise for the tenants' own roles (a tenant's cached roles are read again)."""

    async def user_active(self, db: RequestDatabase, user_id: uuid.UUID) -> bool | None:
        """Whether the user is active; None when the scope's tenant has no such user."""

    async def custom_roles(self, db: RequestDatabase) -> CustomRoles:
        """The scope's tenant's own roles and the permissions each grants."""

    async def find_user(
        self, db: RequestDatabase, email: str | None, role: str
    ) -> tuple[uuid.UUID, str] | None:
        """(id, email) of the user with this email, or of the first by name holding `role`
        when no email is given."""

    async def user_grants(
        self, session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
    ) -> UserGrants | None:
        """The user as the directory has it now (active or not, its roles, the tenant's own
        roles among them); None when the tenant has no such user. Read in the caller's open
        transaction (its tenant set): work done without a request (a job delivering a
        webhook on its owner's behalf) asks on its own connection."""


@dataclass(frozen=True)
class Numbering:
    """Human numbers a domain hands out per tenant (`INC-1042`): the column holding them and
    the counter table's column of the last number handed out (its row lock keeps them
    gapless). The integrity check (opsgraph/integrity/) proves 1..last per tenant, each once."""

    prefix: str
    number: InstrumentedAttribute[Any]
    last_number: InstrumentedAttribute[Any]
    """A column of a table keyed by `tenant_id` alone."""


RouteEndpoint = Callable[[Request, async_sessionmaker[AsyncSession]], Awaitable[Response]]
"""Answers one request to a domain's HTTP endpoint; it gets the application role's sessions
(behind no tenant wall until it sets one: the endpoint authenticates the caller itself)."""


@dataclass(frozen=True)
class DomainRoute:
    """An HTTP endpoint a domain serves beside its GraphQL API (e.g. a monitoring system's
    webhook). The process serving the domain serves it at `path` (the in-process server, or
    `opsgraph subgraph NAME` in a split deployment, where callers post to that process).
    The request passes the HTTP guard (body size, CSRF, security headers); it is
    authenticated only when `authenticated` says so, else the endpoint checks its own
    credentials."""

    path: str
    endpoint: RouteEndpoint
    methods: tuple[str, ...] = ("POST",)
    authenticated: bool = False
    """When True the request is authenticated as a GraphQL request is (its bearer token, or
    the development anonymous principal; refused as such): the endpoint finds the principal
    in `request.state.principal`."""


@dataclass(frozen=True)
class EventCatalogue:
    """Every registered domain's event kinds, by the domain writing them, and the permission
    one must hold to see a domain's events (its `<entity>:view` or `<domain>:view`)."""

    kinds: Mapping[str, frozenset[str]]
    view_permission: Mapping[str, str | None]

    def domain_of(self, kind: str) -> str | None:
        for domain, kinds in self.kinds.items():
            if kind in kinds:
                return domain
        return None


StoredReferences = Mapping[str, tuple[InstrumentedAttribute[Any], ...]]
"""Columns where a domain stores other domains' ids, by the entity type they name."""


@dataclass(frozen=True)
class Domain:
    """One ITSM domain, whole.

    `name` names the subgraph, its PostgreSQL schema and its events' `domain`. `metadata` holds
    its tables (all in that schema); `migrations` is its Alembic version directory, a branch
    labelled `name` of the one migration history. `permissions` maps each permission it checks
    to what it allows; `grants` says which of them each built-in role has."""

    name: str
    schema: strawberry.federation.Schema
    metadata: MetaData
    migrations: Path
    permissions: Mapping[str, str]
    grants: Mapping[str, frozenset[str]]
    seed: DemoSeed | None = None
    cache_hints: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    event_kinds: frozenset[str] = frozenset()
    references: StoredReferences = field(default_factory=dict)
    directory: PrincipalDirectory | None = None
    """Set by the one domain that owns users (authentication asks it)."""
    numbers: tuple[Numbering, ...] = ()
    """The human numbers it hands out."""
    audited: Mapping[str, InstrumentedAttribute[Any] | None] = field(default_factory=dict)
    """The entity types its mutations name in the audit log, with the `id` column of such
    entities (its table has a `tenant_id`); None for one that is no stored row (a discovery
    feed's run).
    The integrity check proves every audited entity exists or has a recorded deletion."""
    pages: Mapping[str, Path] = field(default_factory=dict)
    """Web pages the domain ships, by URL name: a directory with an `index.html` (and the
    files it loads from `/<name>/static/`), served by the router process."""
    consumers: tuple[EventConsumer, ...] = ()
    """How the domain reacts to other domains' events (resolvers/consumers.py); the process
    serving the domain runs them."""
    routes: tuple[DomainRoute, ...] = ()
    """HTTP endpoints beside the GraphQL API, served by the process serving the domain."""
    jobs: tuple[JobKind, ...] = ()
    """Its kinds of scheduled and retried work on the durable job queue (resolvers/jobs.py);
    the process serving the domain runs them."""
    event_catalogue: Callable[[EventCatalogue], None] | None = None
    """Told every registered domain's event kinds when the registry is built (a domain that
    reacts to any event, such as outbound webhooks, validates kinds with it)."""

    @property
    def peers_needed(self) -> bool:
        """Whether the domain, served alone, must reach other subgraphs (it checks the ids it
        stores for their entities)."""
        return bool(self.references)
