"""The registry: the one hand-kept list of domains. Everything else that depends on which
domains exist — migrations, role grants, demo data, schema files, the split deployment's
files, the CLI's choices — is derived from it (`Registry`).

Adding a domain is a package under `subgraphs/` exporting a `DOMAIN` manifest, and one line
here."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import InstrumentedAttribute

from db import jobs as jobs_queue
from db.migrate import MigrationSet
from db.tables import audit
from resolvers.consumers import EVERY_DOMAIN, EventConsumer
from resolvers.domain import (
    Domain,
    DomainRoute,
    EventCatalogue,
    Numbering,
    PrincipalDirectory,
)
from resolvers.jobs import JobKind
from resolvers.principal import RoleCatalogue
from router.response_cache import CacheHint, hints_from_config
from subgraphs import cmdb, identity, incidents, problems, webhooks

DOMAINS: tuple[Domain, ...] = (
    identity.DOMAIN,
    cmdb.DOMAIN,  # before incidents: demo incidents point at the demo CIs
    incidents.DOMAIN,
    problems.DOMAIN,  # after incidents: demo problems link the demo incidents
    webhooks.DOMAIN,
)


@dataclass(frozen=True)
class Registry:
    """What the domains declare, gathered. `domains` are in order: a domain's demo data may
    reference what the ones before it seeded."""

    domains: tuple[Domain, ...]

    def __post_init__(self) -> None:
        names = [domain.name for domain in self.domains]
        if len(set(names)) != len(names):
            raise ValueError(f"a domain is registered twice: {names}")
        consumers = [consumer.name for consumer in self.consumers()]
        if len(set(consumers)) != len(consumers):
            raise ValueError(f"an event consumer's name is declared twice: {consumers}")
        kinds = [kind.name for kind in self.jobs()]
        if len(set(kinds)) != len(kinds):
            raise ValueError(f"a job kind's name is declared twice: {kinds}")
        catalogue = self.event_catalogue
        for domain in self.domains:
            if domain.event_catalogue is not None:
                domain.event_catalogue(catalogue)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(domain.name for domain in self.domains)

    def domain(self, name: str) -> Domain:
        for domain in self.domains:
            if domain.name == name:
                return domain
        raise KeyError(f"unknown subgraph {name!r}; known: {', '.join(self.names)}")

    def consumers(self, names: Iterable[str] | None = None) -> tuple[EventConsumer, ...]:
        """The event consumers of the domains named (of every domain when None): what a
        process serving those domains runs."""
        served = self.names if names is None else tuple(names)
        for name in served:
            self.domain(name)  # an unknown name is a KeyError
        return tuple(
            self._expanded(consumer)
            for domain in self.domains
            if domain.name in served
            for consumer in domain.consumers
        )

    def routes(self, names: Iterable[str] | None = None) -> tuple[tuple[str, DomainRoute], ...]:
        """(domain name, route) of the HTTP endpoints the domains named declare (every
        domain's when None); a path declared twice is a ValueError."""
        served = self.names if names is None else tuple(names)
        found = [
            (domain.name, route)
            for domain in self.domains
            if domain.name in served
            for route in domain.routes
        ]
        paths = [route.path for _, route in found]
        if len(set(paths)) != len(paths):
            raise ValueError(f"an HTTP route is declared twice: {paths}")
        return tuple(found)

    def _expanded(self, consumer: EventConsumer) -> EventConsumer:
        """A consumer of every domain's events reads those of the domains declaring kinds."""
        if consumer.domains != EVERY_DOMAIN:
            return consumer
        return dataclasses.replace(consumer, domains=frozenset(self.event_catalogue.kinds))

    @cached_property
    def event_catalogue(self) -> EventCatalogue:
        """Every domain's event kinds, by the domain that writes them (those with any), and
        the permission that shows a domain's events: `<entity>:view` for its kinds' common
        prefix (`incident.created` -> `incident:view`) when it declares one, else
        `<domain>:view`."""
        kinds = {domain.name: domain.event_kinds for domain in self.domains if domain.event_kinds}
        views: dict[str, str | None] = {}
        for domain in self.domains:
            if not domain.event_kinds:
                continue
            prefixes = {kind.split(".", 1)[0] for kind in domain.event_kinds}
            candidates = [f"{prefix}:view" for prefix in sorted(prefixes)] + [f"{domain.name}:view"]
            views[domain.name] = next((c for c in candidates if c in domain.permissions), None)
        return EventCatalogue(kinds=kinds, view_permission=views)

    def jobs(self, names: Iterable[str] | None = None) -> tuple[JobKind, ...]:
        """The job kinds of the domains named (of every domain when None): what a process
        serving those domains runs."""
        served = self.names if names is None else tuple(names)
        for name in served:
            self.domain(name)
        return tuple(
            kind for domain in self.domains if domain.name in served for kind in domain.jobs
        )

    @cached_property
    def roles(self) -> RoleCatalogue:
        """The built-in roles with what every domain grants them."""
        return RoleCatalogue.merged(
            (name for domain in self.domains for name in domain.permissions),
            (domain.grants for domain in self.domains),
        )

    @cached_property
    def migrations(self) -> MigrationSet:
        return MigrationSet.of(
            [(domain.name, domain.metadata, domain.migrations) for domain in self.domains]
        )

    @cached_property
    def cache_hints(self) -> dict[str, CacheHint]:
        """Every domain's cache hints, merged (two declaring one coordinate differently is an
        error)."""
        merged: dict[str, CacheHint] = {}
        for domain in self.domains:
            for coordinate, hint in hints_from_config(domain.cache_hints).items():
                if merged.setdefault(coordinate, hint) != hint:
                    raise ValueError(
                        f"subgraph {domain.name} declares cache hint {coordinate} differently"
                    )
        return merged

    @cached_property
    def directory(self) -> PrincipalDirectory:
        """The user directory authentication asks (declared by exactly one domain)."""
        owners = [domain.directory for domain in self.domains if domain.directory is not None]
        if len(owners) != 1:
            raise ValueError(f"{len(owners)} domains declare a user directory; one must")
        return owners[0]

    @property
    def database_schemas(self) -> tuple[str, ...]:
        """Every PostgreSQL schema OpsGraph's tables live in (the migrated ones and the audit
        log's partitions, the job queue's); the alembic version table lives in `public`."""
        return (*self.migrations.schemas, audit.PARTITION_SCHEMA, jobs_queue.SCHEMA)

    @property
    def numbers(self) -> tuple[Numbering, ...]:
        return tuple(numbering for domain in self.domains for numbering in domain.numbers)

    @cached_property
    def audited(self) -> dict[str, Table | None]:
        """Every audited entity type with its table (None: not a stored row)."""
        merged: dict[str, Table | None] = {}
        for domain in self.domains:
            for entity_type, id_column in domain.audited.items():
                if entity_type in merged:
                    raise ValueError(f"audited entity type {entity_type} is declared twice")
                merged[entity_type] = None if id_column is None else id_column.class_.__table__
        return merged

    def stored_references(self) -> Iterator[tuple[str, InstrumentedAttribute[Any]]]:
        """(entity type, column) for every column where a domain stores another's ids."""
        for domain in self.domains:
            for type_name, columns in domain.references.items():
                for column in columns:
                    yield type_name, column


REGISTRY = Registry(DOMAINS)
