"""The identity domain's manifest: what the registry (opsgraph/domains.py) needs to run it."""

from pathlib import Path

from db.tables import persisted
from resolvers.domain import Domain
from subgraphs.identity import events, permissions, seed, tables
from subgraphs.identity.cache_hints import CACHE_HINTS
from subgraphs.identity.directory import UserDirectory
from subgraphs.identity.schema import schema

DOMAIN = Domain(
    name="identity",
    schema=schema,
    metadata=tables.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    permissions=permissions.PERMISSIONS,
    grants=permissions.GRANTS,
    seed=seed.seed,
    cache_hints=CACHE_HINTS,
    event_kinds=events.EVENT_KINDS,
    directory=UserDirectory(),
    audited={
        events.USER: tables.User.id,
        events.TEAM: tables.Team.id,
        events.ROLE: tables.Role.id,
        events.API_CLIENT: persisted.ApiClient.id,
    },
)
